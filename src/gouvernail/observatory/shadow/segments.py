"""Reading a log file as line-aligned segments, from any byte offset, gzip or not.

A segment is the unit of an import's progress: its figures are committed with the offset where
it ends, so an import that stops resumes at the next segment and counts nothing twice. Offsets
are in the uncompressed stream. The SHA-256 of the file as stored (compressed or not) is taken
on the way, the skipped prefix included, so a resumed import still knows the whole file's digest.
"""

from __future__ import annotations

import gzip
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
HEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class Segment:
    index: int
    start: int
    end: int
    data: bytes
    oversized: tuple[bytes, ...] = ()
    """Lines longer than the limit, cut out of the data (their first bytes), counted as
    malformed."""


def head_digest(path: Path) -> str:
    """SHA-256 of the file's first 64 KiB and of its size: the same file, as far as resuming
    an unfinished import goes."""
    with path.open("rb") as file:
        head = file.read(HEAD)
    return hashlib.sha256(head + str(path.stat().st_size).encode()).hexdigest()


def first_line(path: Path, limit: int = HEAD) -> str:
    """The file's first line (a CSV header), decoded; ValueError when it is not text."""
    stream, _ = _open(path, hashlib.sha256())
    with stream:
        line = stream.readline(limit)
    try:
        return line.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError:
        raise ValueError("the first line is not UTF-8 text") from None


class _Hashing(io.RawIOBase):
    """A file that hashes what is read from it."""

    def __init__(self, raw: BinaryIO, digest: hashlib._Hash) -> None:
        self.raw, self.digest = raw, digest
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self.digest.update(memoryview(buffer)[:n])
            self.consumed += n
        return int(n or 0)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _open(path: Path, digest: hashlib._Hash) -> tuple[BinaryIO, _Hashing]:
    """The file's uncompressed stream, and the raw file under it (hashing what is read)."""
    raw = _Hashing(path.open("rb"), digest)
    buffered = io.BufferedReader(raw, 1 << 20)
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb"), raw  # type: ignore[return-value]
    return buffered, raw


class Reader:
    """Segments of ``path`` from offset ``start``; ``digest`` is complete once every segment
    has been read."""

    def __init__(self, path: Path, *, start: int, size: int, max_line: int) -> None:
        if size < 2 * max_line:
            raise ValueError("a segment must hold at least two of the longest lines")
        self.path, self.start, self.size, self.max_line = path, start, size, max_line
        self.digest = hashlib.sha256()
        self._raw: _Hashing | None = None

    @property
    def consumed(self) -> int:
        """Bytes of the file (as stored) read so far."""
        return self._raw.consumed if self._raw else 0

    def __iter__(self) -> Iterator[Segment]:
        stream, self._raw = _open(self.path, self.digest)
        with stream:
            skipped = 0
            while skipped < self.start:
                block = stream.read(min(1 << 24, self.start - skipped))
                if not block:
                    raise ValueError(
                        f"the file is shorter than the {self.start} bytes imported before"
                    )
                skipped += len(block)
            yield from self._segments(stream)
            while stream.read(1 << 24):  # a file that grew keeps its digest exact
                pass

    def _segments(self, stream: BinaryIO) -> Iterator[Segment]:
        position = begin = self.start  # bytes of the stream consumed; where the segment began
        index, carry = 0, b""
        while True:
            block = stream.read(self.size)
            position += len(block)
            data = carry + block
            if not data:
                return
            oversized: list[bytes] = []
            if block:
                cut = data.rfind(b"\n") + 1
                data, carry = data[:cut], data[cut:]
                while len(carry) > self.max_line:  # a line longer than the limit: cut out
                    oversized.append(carry[:200])
                    carry, read = _rest_after_line(stream, self.size)
                    position += read
            else:
                carry = b""  # the last line, without its newline, is in data
            end = position - len(carry)
            yield Segment(index, begin, end, data, tuple(oversized))
            begin, index = end, index + 1


def _rest_after_line(stream: BinaryIO, size: int) -> tuple[bytes, int]:
    """Discard the rest of the current line: what follows it, and the bytes read."""
    read = 0
    while True:
        block = stream.read(size)
        read += len(block)
        if not block:
            return b"", read
        end = block.find(b"\n")
        if end >= 0:
            return block[end + 1 :], read
