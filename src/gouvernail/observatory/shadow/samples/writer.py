"""The writer of a sample log: people, services and ordinary requests rendered once, then
batches of lines drawn from them and written at once, and the ground truth counted on the way."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import BinaryIO, Final

from gouvernail.observatory.shadow.samples.hosts import universe
from gouvernail.observatory.shadow.samples.people import Person
from gouvernail.observatory.shadow.samples.render import (
    FORMATS,
    Format,
    format_lines,
    header_line,
    malformed_line,
    person_pieces,
    request_pieces,
)
from gouvernail.observatory.shadow.samples.requests import ai_requests, ordinary_request
from gouvernail.observatory.shadow.samples.services import ServiceSample
from gouvernail.observatory.shadow.samples.tables import SIZE_BITS, bits_for, sizes, table
from gouvernail.observatory.shadow.samples.timeline import Timeline, from_ms, to_ms

_BATCH: Final = 16384
_POOL_BITS: Final = 14  # up to 16,384 pre-rendered ordinary requests (fewer for small files)
_VARIANT_BITS: Final = 3  # eight pre-rendered requests per AI service
_ANONYMOUS_SHARE: Final = 0.015
_FAVOURITE_SHARE: Final = 0.6
_BIG_UPLOAD_SHARE: Final = 0.01
_BLOCKED_SERVICE_SHARE: Final = 0.12
_MALFORMED_AI_HOST_SHARE: Final = 0.3
_AVERAGE_LINE: Final[dict[str, int]] = {"squid": 125, "zscaler": 215, "jsonl": 250, "csv": 120}


@dataclass(frozen=True, slots=True)
class Expected:
    """The ground truth of a generated file."""

    lines: int
    """Lines written, malformed included, a CSV header line not counted."""
    malformed: int
    """Lines written deliberately malformed (never counted in the AI figures)."""
    ai_requests: dict[tuple[str, str], int]
    """(service id, identity) -> requests to that service by that person (blocked included)."""
    ai_bytes_up: dict[tuple[str, str], int]
    """Same key -> the sum of request sizes (0 for squid, which does not log them)."""
    ai_bytes_down: dict[tuple[str, str], int]
    """Same key -> the sum of response sizes."""
    first_seen: dict[str, datetime]
    """Service id -> its first request's time (UTC)."""
    last_seen: dict[str, datetime]
    """Service id -> its last request's time (UTC)."""


def generate(
    out: BinaryIO,
    *,
    fmt: Format,
    people: Sequence[Person],
    services: Sequence[ServiceSample],
    start: datetime,
    days: int = 7,
    lines: int | None = None,
    size_bytes: int | None = None,
    ai_share: float = 0.04,
    malformed_share: float = 0.0,
    seed: int = 0,
) -> Expected:
    """Write a proxy log of ``lines`` lines, or of at least ``size_bytes`` bytes (the last
    batches shrink to single lines, so the file is at most a line or two longer), and return
    its ground truth. The same arguments always write the same bytes."""
    if (lines is None) == (size_bytes is None):
        raise ValueError("give exactly one of lines and size_bytes")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    if not people or not services:
        raise ValueError("give at least one person and one service")
    if days < 1:
        raise ValueError("days must be at least 1")
    if not (0.0 <= ai_share <= 1.0 and 0.0 <= malformed_share <= 1.0) or (
        ai_share + malformed_share > 1.0
    ):
        raise ValueError("ai_share and malformed_share are shares of the lines (0 to 1)")
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if lines is not None and lines < 0:
        raise ValueError("lines must not be negative")
    if size_bytes is not None and size_bytes <= 0:
        raise ValueError("size_bytes must be positive")
    estimate = lines if lines is not None else int(size_bytes or 0) // _AVERAGE_LINE[fmt]
    writer = _Writer(fmt, people, services, start, days, ai_share, malformed_share, seed, estimate)
    if lines is not None:
        writer.write_lines(out, lines)
    else:
        writer.write_size(out, int(size_bytes or 0))
    return writer.expected()


class _Writer:
    """One file's writer: what its lines are drawn from, and its ground truth so far."""

    def __init__(
        self,
        fmt: Format,
        people: Sequence[Person],
        services: Sequence[ServiceSample],
        start: datetime,
        days: int,
        ai_share: float,
        malformed_share: float,
        seed: int,
        lines_estimate: int,
    ) -> None:
        rng = self.rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
        self.fmt = fmt
        self.ai_share = ai_share
        self.special_share = ai_share + malformed_share
        self.timeline = Timeline(to_ms(start), days, rng)

        # people: pieces per person (the anonymous machines last), who browses, who uses AI
        departments = sorted({p.department for p in people})
        rng.shuffle(departments)
        dept_factor = {d: 1 / (rank + 1) ** 1.2 for rank, d in enumerate(departments)}
        dept_number = {d: n + 1 for n, d in enumerate(sorted(dept_factor))}
        self.identities = [p.identity for p in people]
        self.people = [
            person_pieces(
                fmt,
                p.identity,
                p.department,
                f"10.{dept_number[p.department] % 200}.{n >> 8 & 255}.{n & 255 or 1}",
            )
            for n, p in enumerate(people, 1)
        ]
        anonymous = [person_pieces(fmt, None, None, f"10.250.0.{n}") for n in (7, 12, 31)]
        order = list(range(len(people)))
        rng.shuffle(order)
        browse = [0.0] * len(people)
        use_ai = [0.0] * len(people)
        for rank, index in enumerate(order):
            browse[index] = 1 / (rank + 1) ** 0.3
            use_ai[index] = dept_factor[people[index].department] / (rank + 1) ** 1.0
        total = sum(browse)
        browse += [total * _ANONYMOUS_SHARE / len(anonymous)] * len(anonymous)
        self.person_bits = bits_for(len(browse), 12)
        everyone = self.people + anonymous
        self.browsers = [everyone[i] for i in table(browse, self.person_bits)]
        self.ai_person_bits = bits_for(len(people), 14)
        self.ai_people = table(use_ai, self.ai_person_bits)

        # services: Zipf-popular in the order given, some blocked, each person's favourite
        self.service_ids = [s.id for s in services]
        self.service_bits = bits_for(len(services), 12)
        self.service_table = table(
            [1 / (rank + 1) ** 1.0 for rank in range(len(services))], self.service_bits
        )
        self.blocked = [rng.random() < _BLOCKED_SERVICE_SHARE for _ in services]
        self.favourite = [self.service_table[rng.getrandbits(self.service_bits)] for _ in people]
        self.ai_variants = [
            [request_pieces(fmt, q) for q in ai_requests(s, blocked, rng)]
            for s, blocked in zip(services, self.blocked, strict=True)
        ]

        # ordinary requests: a pool drawn by host popularity
        hosts = universe(services, rng)
        host_table = table([1 / (rank + 1) for rank in range(len(hosts))], 16)
        self.pool_bits = min(_POOL_BITS, max(10, math.ceil(math.log2(lines_estimate + 1))))
        self.pool = [
            request_pieces(fmt, ordinary_request(hosts[host_table[rng.getrandbits(16)]], rng))
            for _ in range(1 << self.pool_bits)
        ]

        # sizes (bytes)
        self.down = sizes(9000, 1.9, 120, 250_000_000)
        self.up = sizes(650, 0.8, 90, 2_000_000)
        self.ai_down = sizes(28000, 1.3, 400, 30_000_000)
        self.ai_up = sizes(3500, 1.2, 200, 900_000)
        self.block_page = [rng.randint(2800, 4200) for _ in range(8)]

        self.lines = 0
        self.malformed = 0
        self.requests: dict[tuple[str, str], int] = {}
        self.bytes_up: dict[tuple[str, str], int] = {}
        self.bytes_down: dict[tuple[str, str], int] = {}
        self.first: dict[str, int] = {}
        self.last: dict[str, int] = {}

    # -- writing

    def write_lines(self, out: BinaryIO, total: int) -> None:
        out.write(header_line(self.fmt).encode())
        done = 0
        while done < total:
            n = min(_BATCH, total - done)
            out.write(self.batch(n, done / total, 1 / total))
            done += n

    def write_size(self, out: BinaryIO, target: int) -> None:
        header = header_line(self.fmt).encode()
        out.write(header)
        body = target - len(header)
        written, position = 0, 0.0
        average: float = _AVERAGE_LINE[self.fmt]
        while written < body:
            expected_lines = (body - written) / average
            n = _BATCH if expected_lines > 2 * _BATCH else max(1, int(expected_lines / 2))
            f0 = max(position, written / body)
            f1 = min(1.0, max(f0, (written + n * average) / body))
            data = self.batch(n, f0, (f1 - f0) / n)
            out.write(data)
            written += len(data)
            position = f1
            average = written / self.lines

    def batch(self, n: int, f0: float, step: float) -> bytes:
        """``n`` lines at file positions ``f0 + step * i``, encoded."""
        rng = self.rng
        bits, rnd = rng.getrandbits, rng.random
        times = self.timeline.times(f0, step, n)
        people = list(map(self.browsers.__getitem__, map(bits, repeat(self.person_bits, n))))
        requests = list(map(self.pool.__getitem__, map(bits, repeat(self.pool_bits, n))))
        downs = list(map(self.down.__getitem__, map(bits, repeat(SIZE_BITS, n))))
        ups = (
            list(map(self.up.__getitem__, map(bits, repeat(SIZE_BITS, n))))
            if self.fmt != "squid"
            else downs
        )
        ai_share = self.ai_share
        malformed: list[int] = []
        for i, r in self._specials(n):
            if r < ai_share:
                self._ai(i, times[i], people, requests, ups, downs)
            else:
                malformed.append(i)
                if rnd() < _MALFORMED_AI_HOST_SHARE:
                    service = self.service_table[bits(self.service_bits)]
                    requests[i] = self.ai_variants[service][bits(_VARIANT_BITS)]
        fmt = self.fmt
        lines = format_lines(fmt, times, people, requests, ups, downs)
        for i in malformed:
            line = malformed_line(fmt, rng, times[i], people[i], requests[i], self.up, downs[i])
            lines[i] = line + "\n"
        self.lines += n
        self.malformed += len(malformed)
        return "".join(lines).encode("utf-8", "surrogateescape")

    def _specials(self, n: int) -> list[tuple[int, float]]:
        """The lines of a batch that are AI or malformed (each with probability
        ``special_share``), each with a uniform draw below ``special_share`` saying which: one
        geometric gap per special line rather than one draw per line."""
        share, rnd = self.special_share, self.rng.random
        if share <= 0.0:
            return []
        if share >= 1.0:
            return [(i, rnd()) for i in range(n)]
        log_miss = math.log1p(-share)
        specials: list[tuple[int, float]] = []
        i = int(math.log(1.0 - rnd()) / log_miss)
        while i < n:
            specials.append((i, rnd() * share))
            i += 1 + int(math.log(1.0 - rnd()) / log_miss)
        return specials

    def _ai(
        self,
        i: int,
        t: int,
        people: list[tuple[str, ...]],
        requests: list[tuple[str, ...]],
        ups: list[int],
        downs: list[int],
    ) -> None:
        rng = self.rng
        bits = rng.getrandbits
        person = self.ai_people[bits(self.ai_person_bits)]
        service = (
            self.favourite[person]
            if rng.random() < _FAVOURITE_SHARE
            else self.service_table[bits(self.service_bits)]
        )
        up = self.ai_up[bits(SIZE_BITS)]
        if self.blocked[service]:
            down = self.block_page[bits(3)]
        else:
            down = self.ai_down[bits(SIZE_BITS)]
            if rng.random() < _BIG_UPLOAD_SHARE:
                up = rng.randint(1_000_000, 20_000_000)
        people[i] = self.people[person]
        requests[i] = self.ai_variants[service][bits(_VARIANT_BITS)]
        downs[i] = down
        squid = self.fmt == "squid"
        if not squid:
            ups[i] = up
        sid = self.service_ids[service]
        key = (sid, self.identities[person])
        self.requests[key] = self.requests.get(key, 0) + 1
        self.bytes_up[key] = self.bytes_up.get(key, 0) + (0 if squid else up)
        self.bytes_down[key] = self.bytes_down.get(key, 0) + down
        self.first.setdefault(sid, t)
        self.last[sid] = t

    def expected(self) -> Expected:
        return Expected(
            lines=self.lines,
            malformed=self.malformed,
            ai_requests=dict(self.requests),
            ai_bytes_up=dict(self.bytes_up),
            ai_bytes_down=dict(self.bytes_down),
            first_seen={s: from_ms(t) for s, t in self.first.items()},
            last_seen={s: from_ms(t) for s, t in self.last.items()},
        )
