"""The lines of a sample log in each format: a line is one f-string over pieces rendered once (a
person's, a request's) with its time and sizes; a malformed line is one no reader should take
for a request."""

from __future__ import annotations

import functools
import json
import random
import re
import time
from collections.abc import Sequence
from typing import Final, Literal

from gouvernail.observatory.shadow.samples.requests import Request
from gouvernail.observatory.shadow.samples.tables import SIZE_BITS

Format = Literal["squid", "zscaler", "jsonl", "csv"]
FORMATS: Final[tuple[Format, ...]] = ("squid", "zscaler", "jsonl", "csv")
ZSCALER_HEADER: Final = (
    '"datetime","user","department","clientip","url","hostname","action","requestmethod",'
    '"requestsize","responsesize","urlcategory","appname"'
)
CSV_HEADER: Final = "time,user,department,client_ip,method,host,url,status,bytes_out,bytes_in"


def header_line(fmt: Format) -> str:
    """The line a file in a format starts with (newline included), if any."""
    if fmt == "zscaler":
        return ZSCALER_HEADER + "\n"
    if fmt == "csv":
        return CSV_HEADER + "\n"
    return ""


# --- pieces -----------------------------------------------------------------------------------


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _csv(value: str) -> str:
    """A CSV field quoted only when it must be (RFC 4180)."""
    return _quote(value) if any(c in value for c in ',"\r\n') else value


def request_pieces(fmt: Format, q: Request) -> tuple[str, ...]:
    """A request's pieces of a line in a format (see ``format_lines``)."""
    connect = q.method == "CONNECT"
    if fmt == "squid":
        request = (
            f"CONNECT {q.host}:443" if connect else f"{q.method} {q.scheme}://{q.host}{q.path}"
        )
        hierarchy = "HIER_NONE/-" if q.ip == "-" else f"HIER_DIRECT/{q.ip}"
        return (
            f"{q.elapsed:6d}",
            f"{q.squid_code}/{q.status:03d}",
            request,
            f"{hierarchy} {q.mime}",
        )
    if fmt == "zscaler":
        url = f"{q.host}:443" if connect else f"{q.host}{q.path}"
        action = "Blocked" if q.blocked else "Allowed"
        return (
            f'{_quote(url)},{_quote(q.host)},"{action}","{q.method}"',
            f"{_quote(q.category)},{_quote(q.app)}",
        )
    url = f"{q.host}:443" if connect else f"{q.scheme}://{q.host}{q.path}"
    if fmt == "jsonl":
        return (
            f'"method": "{q.method}", "host": {json.dumps(q.host)}, "url": {json.dumps(url)}, '
            f'"status": {q.status}',
        )
    return (f"{q.method},{_csv(q.host)},{_csv(url)},{q.status}",)


def person_pieces(
    fmt: Format, identity: str | None, department: str | None, ip: str
) -> tuple[str, ...]:
    """A person's pieces of a line in a format; no identity and no department for an anonymous
    machine."""
    if fmt == "squid":
        return (ip, (identity or "-").replace(" ", "%20"))
    if fmt == "zscaler":
        return (f"{_quote(identity or '')},{_quote(department or '')},{_quote(ip)}",)
    if fmt == "jsonl":
        user = json.dumps(identity, ensure_ascii=False)
        dept = json.dumps(department, ensure_ascii=False)
        return (f'"user": {user}, "department": {dept}, "client_ip": "{ip}"',)
    return (f"{_csv(identity or '')},{_csv(department or '')},{ip}",)


# --- times ------------------------------------------------------------------------------------

_DAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_MILLIS: Final = tuple(f".{ms:03d}" for ms in range(1000))
_SECONDS: Final = tuple(f"{second:02d}" for second in range(60))


@functools.cache
def _iso_rests() -> tuple[str, ...]:
    """``SS.mmmZ`` for each millisecond of a minute."""
    return tuple(f"{ms // 1000:02d}.{ms % 1000:03d}Z" for ms in range(60000))


def _iso_times(times: list[int]) -> list[str]:
    """``2026-11-16T09:12:45.123Z`` for each time (ms)."""
    rests = _iso_rests()
    out: list[str] = []
    last, prefix, first = -1, "", 0
    for t in times:
        minute = t // 60000
        if minute != last:
            last, first = minute, minute * 60000
            prefix = time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(minute * 60))
        out.append(prefix + rests[t - first])
    return out


def _zscaler_time(second: int) -> str:
    """``Mon Nov 16 09:12:45 2026``, in English whatever the locale."""
    t = time.gmtime(second)
    return (
        f"{_DAY_NAMES[t.tm_wday]} {_MONTH_NAMES[t.tm_mon - 1]} {t.tm_mday:02d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {t.tm_year}"
    )


def _zscaler_times(times: list[int]) -> list[str]:
    seconds = _SECONDS
    out: list[str] = []
    last, head, year, first = -1, "", "", 0
    for t in times:
        minute = t // 60000
        if minute != last:
            last, first = minute, minute * 60000
            text = _zscaler_time(minute * 60)
            head, year = text[:-7], text[-4:]
        out.append(f"{head}{seconds[(t - first) // 1000]} {year}")
    return out


# --- lines ------------------------------------------------------------------------------------


def format_lines(
    fmt: Format,
    times: list[int],
    people: list[tuple[str, ...]],
    requests: list[tuple[str, ...]],
    ups: list[int],
    downs: list[int],
) -> list[str]:
    """One line (newline included) for each time (ms), person's pieces, request's pieces, request
    size and response size."""
    if fmt == "squid":
        millis = _MILLIS
        return [
            f"{t // 1000}{millis[t % 1000]} {e} {ip} {code} {d} {request} {user} {tail}\n"
            for t, (ip, user), (e, code, request, tail), d in zip(
                times, people, requests, downs, strict=True
            )
        ]
    if fmt == "zscaler":
        return [
            f'"{s}",{p[0]},{q[0]},"{u}","{d}",{q[1]}\n'
            for s, p, q, u, d in zip(
                _zscaler_times(times), people, requests, ups, downs, strict=True
            )
        ]
    if fmt == "jsonl":
        return [
            f'{{"time": "{s}", {p[0]}, {q[0]}, "bytes_out": {u}, "bytes_in": {d}}}\n'
            for s, p, q, u, d in zip(_iso_times(times), people, requests, ups, downs, strict=True)
        ]
    return [
        f"{s},{p[0]},{q[0]},{u},{d}\n"
        for s, p, q, u, d in zip(_iso_times(times), people, requests, ups, downs, strict=True)
    ]


# --- malformed lines --------------------------------------------------------------------------

_BAD_SIZES: Final = ("12k4", "n/a", "abc", "1.5KB", "??")
_CACHE_LOG: Final = (
    "kid1| WARNING: Forwarding loop detected for:",
    "kid1| Starting Squid Cache version 6.6 for x86_64-pc-linux-gnu...",
    "kid1| storeDirWriteCleanLogs: Starting...",
)
_LETTERS: Final = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_TRUNCATED: Final = re.compile(r"\S+\s+\S+\s+\S+\s+\S+")


def malformed_line(
    fmt: Format,
    rng: random.Random,
    t: int,
    p: tuple[str, ...],
    q: tuple[str, ...],
    up_sizes: Sequence[int],
    down: int,
) -> str:
    """A line no reader should take for a request (without its newline), made of the time ``t``
    (ms), a person's pieces ``p`` and a request's ``q`` when it looks like one."""
    kind = rng.choices(("truncated", "garbage", "size", "blank", "other"), (3, 1.5, 2.5, 1, 2))[0]
    if kind == "garbage":  # raw bytes 0x80-0xff (surrogate-escaped), never UTF-8
        body = "".join(
            chr(0xDC80 + rng.getrandbits(7)) if rng.random() < 0.6 else rng.choice(_LETTERS)
            for _ in range(rng.randint(12, 90))
        )
        return "\udcff\udcfe" + body
    if kind == "blank":
        return " " * rng.randint(1, 8)
    up = up_sizes[rng.getrandbits(SIZE_BITS)]
    bad = rng.choice(_BAD_SIZES)
    if fmt == "squid":
        head = f"{t // 1000}.{t % 1000:03d} {q[0]} {p[0]} {q[1]}"
        if kind == "size":
            return f"{head} {bad} {q[2]} {p[1]} {q[3]}"
        if kind == "truncated":
            full = f"{head} {down} {q[2]} {p[1]} {q[3]}"
            match = _TRUNCATED.match(full)
            end = match.end() if match else len(full) // 3
            return full[: rng.randint(3, end)]
        stamp = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(t // 1000))
        return f"{stamp} {rng.choice(_CACHE_LOG)}"
    if fmt == "zscaler":
        s = _zscaler_time(t // 1000)
        if kind == "size":
            return f'"{s}",{p[0]},{q[0]},"{bad}","{down}",{q[1]}'
        if kind == "truncated":
            return f'"{s}",{p[0]}' + (f",{q[0]}" if rng.random() < 0.5 else "")
        return ZSCALER_HEADER
    s = _iso_times([t])[0]
    if fmt == "jsonl":
        if kind == "size":
            return f'{{"time": "{s}", {p[0]}, {q[0]}, "bytes_out": "{bad}", "bytes_in": {down}}}'
        full = f'{{"time": "{s}", {p[0]}, {q[0]}, "bytes_out": {up}, "bytes_in": {down}}}'
        if kind == "truncated":
            return full[: rng.randint(1, len(full) - 1)]
        return full.replace('"', "'")  # a Python repr, not JSON
    if kind == "size":
        return f"{s},{p[0]},{q[0]},{bad},{down}"
    if kind == "truncated":
        return f"{s},{p[0]}" + (f",{q[0]}" if rng.random() < 0.5 else "")
    return CSV_HEADER
