"""Memory of the gateway under a long load: is it flat?

    .venv/bin/python benchmarks/memory_soak.py --minutes 10 --inspection full

Starts the kit's mock upstream (../shared/bench/mock/mock.sh), our gateway
(benchmarks/gateway_server.py) and wrk with the varied-prompt script (benchmarks/wrk/
chat_varied.lua) at 32 connections, samples the resident memory of every gateway process every
``--every`` seconds, and prints the series, the peak, and the growth between the first minute
after warm-up and the last one. Everything it starts is stopped on exit. Needs wrk and nginx
(``apt-get install -y nginx-light wrk``).
"""

# ruff: noqa: S603, S607 (starts our own scripts, wrk and the kit's mock, with fixed arguments)

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KIT = Path(os.environ.get("BENCH_KIT", ROOT.parent / "shared" / "bench"))


def session_rss_mb(sid: int) -> float:
    """Sum of VmRSS over the processes of session ``sid`` (the server and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != sid:
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process went away
    return total / 1024


def wait_ready(port: int, key: str, timeout: float = 120) -> None:
    body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Bonjour"}]}'
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/chat/completions",
            body,
            {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 (loopback)
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the gateway did not answer on port {port} within {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--inspection", choices=["full", "fast", "off"], default="full")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--port", type=int, default=18150)
    args = parser.parse_args()
    key = "sk-bench-0000"
    env = {
        **os.environ,
        "BENCH_PORT": str(args.port),
        "BENCH_UPSTREAM": "http://127.0.0.1:18080/v1",
        "BENCH_API_KEY": key,
        "GOUVERNAIL_GATEWAY__INSPECTION": args.inspection,
    }
    subprocess.run([str(KIT / "mock" / "mock.sh"), "start"], check=True)
    server = subprocess.Popen(
        [sys.executable, str(HERE / "gateway_server.py")],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wrk: subprocess.Popen[bytes] | None = None
    try:
        wait_ready(args.port, key)
        seconds = int(args.minutes * 60)
        wrk = subprocess.Popen(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(HERE / "wrk" / "chat_varied.lua"),
                f"http://127.0.0.1:{args.port}/v1/chat/completions",
            ],
            env={**os.environ, "BENCH_API_KEY": key},
            stdout=subprocess.PIPE,
        )
        samples: list[tuple[float, float]] = []
        started = time.monotonic()
        while wrk.poll() is None:
            elapsed = time.monotonic() - started
            samples.append((elapsed, session_rss_mb(server.pid)))
            print(f"{elapsed:7.0f} s  {samples[-1][1]:8.1f} MB", flush=True)
            time.sleep(args.every)
        output = wrk.communicate()[0].decode()
        print(output)
        first = [mb for t, mb in samples if 60 <= t < 120] or [samples[0][1]]
        last = [mb for t, mb in samples if t >= samples[-1][0] - 60]
        peak = max(mb for _, mb in samples)
        growth = sum(last) / len(last) - sum(first) / len(first)
        print(
            f"inspection={args.inspection}: peak RSS {peak:.1f} MB; mean RSS second minute "
            f"{sum(first) / len(first):.1f} MB, last minute {sum(last) / len(last):.1f} MB "
            f"(growth {growth:+.1f} MB over {args.minutes:g} min)"
        )
    finally:
        if wrk is not None and wrk.poll() is None:
            wrk.terminate()
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        subprocess.run([str(KIT / "mock" / "mock.sh"), "stop"], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
