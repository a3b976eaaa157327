"""Output inspection: the streaming guard (look-behind window, mask or flag) and the answer
filter (guard then restore, per choice and per tool call)."""

from __future__ import annotations

import itertools
import json
import random
import re
from typing import Any

import pytest

from gouvernail.gateway.redaction import AnswerFilter, OutputGuard, Vault
from gouvernail.inspection.findings import Finding

PATTERNS = {
    "EMAIL_ADDRESS": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "PHONE_NUMBER": re.compile(r"(?<!\d)0[1-9](?:[ .]?\d\d){4}(?!\d)"),
}


def detect(text: str) -> list[Finding]:
    """A small stand-in for the inspector's fast detectors."""
    return [
        Finding(kind, m.start(), m.end(), 0.9, "regex", "confidential")
        for kind, pattern in PATTERNS.items()
        for m in pattern.finditer(text)
    ]


def leaks(text: str) -> list[str]:
    return [text[f.start : f.end] for f in detect(text)]


def run(guard: OutputGuard, chunks: list[str], longest: int = 26) -> str:
    out = []
    for chunk in chunks:
        out.append(guard.feed(chunk))
        # the window, or more while a found span (at most ``longest`` characters) crosses it
        assert guard.held <= guard.window + longest
    out.append(guard.finish())
    return "".join(out)


ANSWER = (
    "Vous pouvez écrire à jean.dupont@example.com ou appeler le 06 12 34 56 78 ; "
    "sinon marie-claire.o'neil+rh@service.example.fr, au 01.23.45.67.89. Merci."
)
MASKED = (
    "Vous pouvez écrire à [EMAIL_ADDRESS] ou appeler le [PHONE_NUMBER] ; "
    "sinon marie-claire.o'[EMAIL_ADDRESS], au [PHONE_NUMBER]. Merci."
)


def test_check_masks_a_whole_answer() -> None:
    guard = OutputGuard(detect)
    assert guard.check(ANSWER) == MASKED
    assert [(f.type, ANSWER[f.start : f.end]) for f in guard.findings] == [
        ("EMAIL_ADDRESS", "jean.dupont@example.com"),
        ("PHONE_NUMBER", "06 12 34 56 78"),
        ("EMAIL_ADDRESS", "neil+rh@service.example.fr"),
        ("PHONE_NUMBER", "01.23.45.67.89"),
    ]


@pytest.mark.parametrize("window", [32, 64])
def test_one_character_per_chunk(window: int) -> None:
    guard = OutputGuard(detect, window=window)
    assert run(guard, list(ANSWER)) == MASKED
    whole = OutputGuard(detect)
    whole.check(ANSWER)
    assert guard.findings == whole.findings
    assert len(guard.findings) == 4


def test_random_splits_equal_the_whole_answer() -> None:
    rng = random.Random(4)
    pieces = ["jean.dupont@example.com", "06 12 34 56 78", "texte", "é", "@", ".", "0"]
    for _ in range(200):
        # separators that no entity spans, so that every entity is shorter than the window
        text = "".join(
            rng.choice(pieces) + rng.choice([" ", "👩‍🔬", ", "]) for _ in range(rng.randint(0, 30))
        )
        whole = OutputGuard(detect, window=40)
        expected = whole.check(text)
        cuts = sorted(rng.randint(0, len(text)) for _ in range(rng.randint(0, 15)))
        bounds = [0, *cuts, len(text)]
        guard = OutputGuard(detect, window=40)
        chunks = [text[a:b] for a, b in itertools.pairwise(bounds)]
        assert run(guard, chunks, longest=len(text)) == expected, (text, cuts)
        assert guard.findings == whole.findings
        assert not leaks(expected)


def test_text_is_emitted_once_older_than_the_window() -> None:
    guard = OutputGuard(detect, window=10)
    assert guard.feed("abcdefghij") == ""
    assert guard.feed("klm") == "abc"
    assert guard.held == 10
    assert guard.feed("x" * 20) == "defghijklm" + "x" * 10
    assert guard.finish() == "x" * 10
    assert guard.held == 0


def test_a_span_at_the_edge_holds_back_from_its_start() -> None:
    guard = OutputGuard(detect, window=10)
    assert guard.feed("Ecrire a jean@example.com") == "Ecrire a "
    assert guard.held == len("jean@example.com")
    assert guard.feed(" merci beaucoup") == "[EMAIL_ADDRESS] merc"
    assert guard.held == 10
    assert guard.finish() == "i beaucoup"


def test_leak_straddling_chunks_is_masked() -> None:
    guard = OutputGuard(detect, window=24)
    out = run(guard, ["Contact: jean.dup", "ont@exa", "mple.com", " or 06 12", " 34 56 78."])
    assert out == "Contact: [EMAIL_ADDRESS] or [PHONE_NUMBER]."
    assert [(f.type, f.start, f.end) for f in guard.findings] == [
        ("EMAIL_ADDRESS", 9, 32),
        ("PHONE_NUMBER", 36, 50),
    ]


def test_flag_emits_everything_unchanged_and_records() -> None:
    guard = OutputGuard(detect, action="flag", window=32)
    chunks = [ANSWER[i : i + 7] for i in range(0, len(ANSWER), 7)]
    assert [guard.feed(c) for c in chunks] == chunks
    assert guard.held == 0
    assert guard.finish() == ""
    whole = OutputGuard(detect)
    whole.check(ANSWER)
    assert guard.findings == whole.findings
    assert len(guard.findings) == 4


def test_types_limit_what_is_acted_on() -> None:
    guard = OutputGuard(detect, types=frozenset({"PHONE_NUMBER"}))
    assert guard.check("a@b.fr 06 12 34 56 78") == "a@b.fr [PHONE_NUMBER]"
    assert [f.type for f in guard.findings] == ["PHONE_NUMBER"]


def test_protected_tokens_are_not_masked() -> None:
    def shouty(text: str) -> list[Finding]:
        return [
            Finding("PERSON", m.start(), m.end(), 0.5, "ner", "confidential")
            for m in re.finditer(r"[A-Z][A-Z_0-9]{3,}", text)
        ]

    guard = OutputGuard(shouty).spawn(protected=re.compile(r"\[[A-Z_]+_\d+\]"))
    assert guard.check("[PERSON_1] met DUPONT") == "[PERSON_1] met [PERSON]"


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="window"):
        OutputGuard(detect, window=0)


# the answer filter


def vault_for(prompt: str, *pieces: tuple[str, str]) -> Vault:
    vault = Vault()
    findings = []
    for kind, piece in pieces:
        start = prompt.index(piece)
        findings.append(Finding(kind, start, start + len(piece), 0.9, "test", "confidential"))
    vault.redact(prompt, findings)
    return vault


PROMPT = 'Write to Jean "JD" Dupont <jean.dupont@example.com> about the contract.'


def chunk(index: int, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "object": "chat.completion.chunk",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def tool_delta(tool: int, arguments: str, **extra: Any) -> dict[str, Any]:
    return {"tool_calls": [{"index": tool, "function": {"arguments": arguments}, **extra}]}


def collect(chunks: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """What an OpenAI client reassembles from the chunks."""
    out: dict[int, dict[str, Any]] = {}
    for c in chunks:
        for choice in c["choices"]:
            state = out.setdefault(choice["index"], {"content": "", "tools": {}})
            state["content"] += choice["delta"].get("content") or ""
            for call in choice["delta"].get("tool_calls") or ():
                tools = state["tools"]
                tools[call["index"]] = tools.get(call["index"], "") + call["function"]["arguments"]
    return out


def test_stream_guard_then_restore_per_choice_and_tool_call() -> None:
    vault = vault_for(
        PROMPT,
        ("PERSON", 'Jean "JD" Dupont'),
        ("EMAIL_ADDRESS", "jean.dupont@example.com"),
    )
    content = (
        "Dear [PERSON_1], I wrote to [EMAIL_ADDRESS_1] and to paul.martin@example.org. [PERSON_7]"
    )
    arguments = json.dumps(
        {"to": "[EMAIL_ADDRESS_1]", "cc": "leak@example.net", "name": "[PERSON_1]"}
    )
    other = "Bonjour [PERSON_1] !"
    stream: list[dict[str, Any]] = [chunk(0, {"role": "assistant", "content": ""})]
    rng = random.Random(7)
    positions = {"c": 0, "a": 0, "o": 0}
    texts = {"c": content, "a": arguments, "o": other}
    while any(positions[k] < len(texts[k]) for k in texts):
        key = rng.choice([k for k in texts if positions[k] < len(texts[k])])
        size = rng.randint(1, 5)
        piece = texts[key][positions[key] : positions[key] + size]
        positions[key] += size
        if key == "c":
            stream.append(chunk(0, {"content": piece}))
        elif key == "a":
            stream.append(chunk(0, tool_delta(0, piece)))
        else:
            stream.append(chunk(1, {"content": piece}))
    stream += [chunk(0, {}, "tool_calls"), chunk(1, {}, "stop")]

    answer = AnswerFilter(OutputGuard(detect, window=32), vault)
    result = collect([answer.chunk(c) for c in stream])

    assert result[0]["content"] == (
        'Dear Jean "JD" Dupont, I wrote to jean.dupont@example.com and to [EMAIL_ADDRESS]. '
        "[PERSON_7]"
    )
    assert json.loads(result[0]["tools"][0]) == {
        "to": "jean.dupont@example.com",
        "cc": "[EMAIL_ADDRESS]",
        "name": 'Jean "JD" Dupont',
    }
    assert result[1]["content"] == 'Bonjour Jean "JD" Dupont !'
    assert answer.restored == 5
    assert answer.unknown == ("[PERSON_7]",)
    assert [(p.path, [f.type for f in p.findings]) for p in answer.findings] == [
        ("choices[0].content", ["EMAIL_ADDRESS"]),
        ("choices[0].tool_calls[0].function.arguments", ["EMAIL_ADDRESS"]),
    ]


def test_completion_non_streamed() -> None:
    vault = vault_for(PROMPT, ("PERSON", 'Jean "JD" Dupont'))
    body = {
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "[PERSON_1] can be reached at 06 12 34 56 78",
                    "tool_calls": [
                        {"id": "a", "function": {"name": "f", "arguments": '{"n": "[PERSON_1]"}'}}
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
    }
    answer = AnswerFilter(OutputGuard(detect), vault)
    message = answer.completion(body)["choices"][0]["message"]
    assert message["content"] == 'Jean "JD" Dupont can be reached at [PHONE_NUMBER]'
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {
        "n": 'Jean "JD" Dupont'
    }


def test_filter_without_guard_or_vault_passes_through() -> None:
    answer = AnswerFilter()
    assert answer.content(0, "a@b.fr [PERSON_1]") == "a@b.fr [PERSON_1]"
    assert answer.finish(0) == ("", {})
    assert answer.findings == ()


def test_close_flushes_a_cut_stream() -> None:
    vault = vault_for(PROMPT, ("PERSON", 'Jean "JD" Dupont'))
    answer = AnswerFilter(OutputGuard(detect, window=8), vault)
    assert answer.content(0, "Hi [PERSON_1") == "Hi "
    assert answer.arguments(0, 2, '{"a": "[PERSON_1]"}') == '{"a": "'
    assert answer.close() == {0: ("[PERSON_1", {2: 'Jean \\"JD\\" Dupont"}'})}
    assert answer.close() == {}
    assert answer.unknown == ("[PERSON_1",)


def test_an_entity_longer_than_the_window_never_stalls_the_stream() -> None:
    def digits(text: str) -> list[Finding]:
        return [
            Finding("ACCOUNT", m.start(), m.end(), 0.9, "regex", "secret")
            for m in re.finditer(r"\d+", text)
        ]

    guard = OutputGuard(digits, window=8)
    out = []
    for _ in range(10):
        out.append(guard.feed("1234567"))
        assert guard.held <= 16
    out.append(guard.feed(" ok"))
    out.append(guard.finish())
    assert "".join(out).replace("[ACCOUNT]", "") == " ok"
    assert not re.search(r"\d", "".join(out).replace("[ACCOUNT]", ""))
    assert [(f.start, f.end) for f in guard.findings] == [(0, 70)]


def test_small_chunks_are_read_in_steps_and_the_first_text_leaves_at_once() -> None:
    passes: list[int] = []

    def counted(text: str) -> list[Finding]:
        passes.append(len(text))
        return detect(text)

    guard = OutputGuard(counted, window=64)
    chunks = [ANSWER[i : i + 3] for i in range(0, len(ANSWER), 3)]  # a few characters a token
    out: list[str] = []
    for chunk in chunks:
        out.append(guard.feed(chunk))
        assert guard.held <= 2 * guard.window
        if not "".join(out):
            assert guard.held <= guard.window  # nothing waits past the window for a first byte
    out.append(guard.finish())
    assert "".join(out) == MASKED
    assert len(passes) <= len(ANSWER) // 16 + 2  # a pass per 16 new characters, not per chunk
    assert len(chunks) > 2 * len(passes)
