"""Output inspection benchmark: what the answer filter adds to a streamed answer.

A standalone script, not a test. It replays the 20-content-chunk stream of the shared mock
(``../shared/bench/mock/stream.sse``, or the same text built in when that file is absent)
through ``AnswerFilter`` in several configurations and reports, per stream:

- the CPU time the filter adds before the first byte reaches the caller (its time over every
  chunk up to the first one that emits something), median and p99, in microseconds;
- the CPU time per chunk, median and p99, and per whole stream;
- how many characters and upstream chunks had arrived when the first byte went out: a guard
  that holds back a ``window`` delays the first byte in *content* terms (the time the model
  takes to produce that many characters), which no CPU figure shows.

Configurations: placeholders restored only; guard with a small regex detector (e-mail, phone)
as mask and as flag; guard with ``Inspector.fast_findings`` when the inspector is importable;
and the guard plus restoration on a variant of the stream carrying a split placeholder and a
leaked e-mail address.

    .venv/bin/python benchmarks/stream_guard.py
    .venv/bin/python benchmarks/stream_guard.py --streams 5000 --window 32 --json
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from gouvernail.gateway.redaction import Action, AnswerFilter, OutputGuard, Vault
from gouvernail.inspection.findings import Finding

MOCK = Path(__file__).resolve().parents[2] / "shared" / "bench" / "mock" / "stream.sse"
APOSTROPHE = "\u2019"
WORDS = [
    "Synthèse", " :", " chiffre", f" d{APOSTROPHE}affaires", " en", " hausse", " de", " 4,2",
    " % grâce", " à", f" l{APOSTROPHE}export,", " marge", " brute", " en", " léger", " recul,",
    " BFR", " maîtrisé.", " Détail", " en annexe.",
]  # fmt: skip
LEAKY = [
    "Synthèse pour", " [PERS", "ON_1]", " : chiffre", f" d{APOSTROPHE}affaires en hausse",
    " de 4,2 %", ", écrire à", " jean.dup", "ont@exam", "ple.com", *WORDS[10:],
]  # fmt: skip
PATTERNS = {
    "EMAIL_ADDRESS": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "PHONE_NUMBER": re.compile(r"(?<!\d)0[1-9](?:[ .]?\d\d){4}(?!\d)"),
}

Detect = Callable[[str], list[Finding]]
Make = Callable[[], AnswerFilter]


def regex_detect(text: str) -> list[Finding]:
    return [
        Finding(kind, m.start(), m.end(), 0.9, "regex", "confidential")
        for kind, pattern in PATTERNS.items()
        for m in pattern.finditer(text)
    ]


def mock_chunks() -> list[bytes]:
    """The raw JSON of each chunk of the mock stream (role chunk, content chunks, finish)."""
    if MOCK.exists():
        lines = MOCK.read_text(encoding="utf-8").splitlines()
        payloads = [line[6:] for line in lines if line.startswith("data: {")]
        return [p.encode() for p in payloads if '"choices":[]' not in p]
    return synthetic(WORDS)


def synthetic(pieces: list[str]) -> list[bytes]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        body = {
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return orjson.dumps(body)

    return [
        chunk({"role": "assistant", "content": ""}),
        *(chunk({"content": piece}) for piece in pieces),
        chunk({}, "stop"),
    ]


def make_vault() -> Vault:
    vault = Vault()
    prompt = "Rédige la synthèse pour Jean Dupont."
    start = prompt.index("Jean Dupont")
    vault.redact(prompt, [Finding("PERSON", start, start + 11, 0.9, "bench", "confidential")])
    return vault


def measure(raw: list[bytes], make: Make, streams: int) -> dict[str, float | int]:
    first_us: list[float] = []
    chunk_us: list[float] = []
    stream_us: list[float] = []
    arrived_chars = arrived_chunks = 0
    for _ in range(streams):
        chunks = [orjson.loads(item) for item in raw]
        answer = make()
        spent = 0
        first: float | None = None
        seen_chars = 0
        for number, chunk in enumerate(chunks, 1):
            choice = chunk["choices"][0]
            seen_chars += len(choice["delta"].get("content") or "")
            began = time.perf_counter_ns()
            answer.chunk(chunk)
            took = time.perf_counter_ns() - began
            spent += took
            chunk_us.append(took / 1000)
            if first is None and choice["delta"].get("content"):
                first = spent / 1000
                arrived_chars, arrived_chunks = seen_chars, number
        first_us.append(first if first is not None else spent / 1000)
        stream_us.append(spent / 1000)
    return {
        "first_byte_us_p50": statistics.median(first_us),
        "first_byte_us_p99": percentile(first_us, 0.99),
        "chunk_us_p50": statistics.median(chunk_us),
        "chunk_us_p99": percentile(chunk_us, 0.99),
        "stream_us_p50": statistics.median(stream_us),
        "chars_before_first_byte": arrived_chars,
        "chunks_before_first_byte": arrived_chunks,
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def inspector_detect() -> Detect | None:
    try:
        from gouvernail.inspection import Inspector
    except ImportError:
        return None
    inspector = Inspector.load(names=True)
    fast: Detect = inspector.fast_findings
    return fast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    plain, leaky = mock_chunks(), synthetic(LEAKY)
    window = args.window

    def guarded(detect: Detect, vault: bool = False, action: Action = "mask") -> Make:
        return lambda: AnswerFilter(
            OutputGuard(detect, window=window, action=action), make_vault() if vault else None
        )

    configs: list[tuple[str, list[bytes], Make]] = [
        ("no filter (vault empty, no guard)", plain, AnswerFilter),
        ("restore only", leaky, lambda: AnswerFilter(None, make_vault())),
        ("guard regex, flag", plain, guarded(regex_detect, action="flag")),
        ("guard regex, mask", plain, guarded(regex_detect)),
        ("guard regex + restore, leaky", leaky, guarded(regex_detect, vault=True)),
    ]
    fast = inspector_detect()
    if fast is not None:
        configs += [
            ("guard fast_findings, mask", plain, guarded(fast)),
            ("guard fast_findings + restore, leaky", leaky, guarded(fast, vault=True)),
        ]
    results = {name: measure(raw, make, args.streams) for name, raw, make in configs}
    if args.json:
        print(json.dumps({"window": window, "streams": args.streams, "results": results}, indent=2))
        return
    print(f"{args.streams} streams of {len(plain)} chunks, window {window} characters")
    print(
        f"{'configuration':40} {'1st byte p50':>12} {'p99':>8} {'chunk p50':>10} {'p99':>8} "
        f"{'stream p50':>11} {'chars/chunks before 1st byte':>29}"
    )
    for name, r in results.items():
        print(
            f"{name:40} {r['first_byte_us_p50']:10.1f}µs {r['first_byte_us_p99']:6.1f}µs "
            f"{r['chunk_us_p50']:8.1f}µs {r['chunk_us_p99']:6.1f}µs {r['stream_us_p50']:9.1f}µs "
            f"{r['chars_before_first_byte']:>22} / {r['chunks_before_first_byte']}"
        )


if __name__ == "__main__":
    main()
