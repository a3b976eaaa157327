"""What was already inspected: a bounded LRU memo of part results, keyed by a hash of the
part's role and text (and how it was inspected). The next turn of a chat resends the whole
history; only the new message is scanned."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


def part_key(*fields: str | None) -> bytes:
    digest = hashlib.blake2b(digest_size=16)
    for value in fields:
        digest.update(b"\x00" if value is None else b"\x01" + value.encode("utf-8", "replace"))
        digest.update(b"\x1f")
    return digest.digest()


class Memo(Generic[V]):
    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._items: OrderedDict[bytes, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: bytes, value: V) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
