"""Time to first byte of a streamed chat answer: straight from the mock, and through the gateway.

    .venv/bin/python benchmarks/stream_ttfb.py [--calls 300] [--inspection full]

Starts the kit's mock upstream (../shared/bench/mock/mock.sh) and our gateway
(benchmarks/gateway_server.py, the stream mock as its upstream), then sends the same streamed
request one at a time to each and reports p50/p90/p99 of the time until the first body byte, and
the difference: what the gateway (admission, inspection of the prompt, reservation, the output
guard's look-behind on the answer) adds before the caller sees anything. Each prompt differs.
"""

# ruff: noqa: S603 (starts our own scripts and the kit's mock, with fixed arguments)

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
KIT = Path(os.environ.get("BENCH_KIT", HERE.parent.parent / "shared" / "bench"))
KEY = "sk-bench-0000"


def first_byte_ms(port: int, path: str, body: bytes) -> float:
    """Milliseconds from sending the request to the first byte of the answer's body."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
        f"Content-Type: application/json\r\nAccept: text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.perf_counter()
        sock.sendall(head + body)
        received = b""
        while b"\r\n\r\n" not in received:  # headers, then the first body bytes
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError(f"connection closed before the body: {received[:200]!r}")
            received += chunk
        if not received.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(received[:300].decode(errors="replace"))
        while len(received.split(b"\r\n\r\n", 1)[1]) == 0:
            received += sock.recv(65536)
        elapsed = (time.perf_counter() - started) * 1000
        while sock.recv(65536):  # drain: the stream ends with the connection
            pass
    return elapsed


def body(index: int) -> bytes:
    prompt = (
        f"Compte rendu n° {index} : Aïcha Traoré et Tomasz Nowak ont revu le budget du "
        "trimestre avec la direction financière ; rédige trois points d'action."
    )
    return orjson.dumps(
        {
            "model": "gpt-4o-mini",
            "stream": True,
            "max_tokens": 256,
            "messages": [{"role": "user", "content": prompt}],
        }
    )


def series(port: int, path: str, calls: int) -> list[float]:
    for index in range(20):  # warm-up
        first_byte_ms(port, path, body(index))
    return sorted(first_byte_ms(port, path, body(1000 + index)) for index in range(calls))


def quantiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49], cuts[89], cuts[98]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--inspection", choices=["full", "fast", "off"], default="full")
    parser.add_argument("--port", type=int, default=18151)
    args = parser.parse_args()
    subprocess.run([str(KIT / "mock" / "mock.sh"), "start"], check=True)
    env = {
        **os.environ,
        "BENCH_PORT": str(args.port),
        "BENCH_UPSTREAM": "http://127.0.0.1:18080/stream/v1",
        "BENCH_API_KEY": KEY,
        "GOUVERNAIL_GATEWAY__INSPECTION": args.inspection,
    }
    server = subprocess.Popen(
        [sys.executable, str(HERE / "gateway_server.py")],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                first_byte_ms(args.port, "/v1/chat/completions", body(0))
                break
            except (OSError, RuntimeError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the gateway did not start") from None
                time.sleep(0.5)
        direct = series(18080, "/stream/v1/chat/completions", args.calls)
        gateway = series(args.port, "/v1/chat/completions", args.calls)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
        subprocess.run([str(KIT / "mock" / "mock.sh"), "stop"], check=False)
    d50, d90, d99 = quantiles(direct)
    g50, g90, g99 = quantiles(gateway)
    print(f"time to first byte, {args.calls} streamed calls one at a time (ms)")
    print(f"{'':10} {'p50':>8} {'p90':>8} {'p99':>8}")
    print(f"{'mock':10} {d50:8.3f} {d90:8.3f} {d99:8.3f}")
    print(f"{'gateway':10} {g50:8.3f} {g90:8.3f} {g99:8.3f}  (inspection={args.inspection})")
    print(f"{'added':10} {g50 - d50:8.3f} {g90 - d90:8.3f} {g99 - d99:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
