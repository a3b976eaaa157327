"""A local folder or mounted file share as an insight source.

Every sync lists the whole tree (a file share has no change feed); files whose size and
modification time are unchanged are skipped by the sync without being read. Readers: the
source's own, unless a directory holds an ``.access.yaml`` (``readers: [...]``, same syntax)
that replaces them for its subtree, as a share's folder permissions would. A directory whose
``.access.yaml`` cannot be read leaves its files unresolved (excluded and reported). Hidden
files and directories are skipped, and so are links that lead outside the folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import yaml

from gouvernail.insight.access import parse_readers
from gouvernail.insight.connectors import (
    Batch,
    ConnectorError,
    Grant,
    ItemTooLarge,
    RemoteItem,
)

ACCESS_FILE = ".access.yaml"


class FolderConnector:
    kind: Literal["folder"] = "folder"

    def __init__(self, root: Path, readers: tuple[Grant, ...], *, batch_size: int = 100) -> None:
        self.root = root
        self.readers = readers
        self.batch_size = batch_size

    def changes(self, cursor: str | None) -> Iterator[Batch]:
        if not self.root.is_dir():
            raise ConnectorError(
                f"the folder {self.root} does not exist or is not a directory", code="not_found"
            )
        root = self.root.resolve()
        batch: list[RemoteItem] = []
        for item in self._walk(root, root, self.readers):
            batch.append(item)
            if len(batch) >= self.batch_size:
                yield Batch(tuple(batch), None)
                batch = []
        yield Batch(tuple(batch), None, complete=True)

    def _walk(
        self, root: Path, directory: Path, readers: tuple[Grant, ...] | None
    ) -> Iterator[RemoteItem]:
        access = directory / ACCESS_FILE
        if access.is_file():
            readers = _readers_of(access)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            raise ConnectorError(f"cannot list {directory}: {error.strerror}") from error
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if not path.resolve().is_relative_to(root):
                continue
            if entry.is_dir():
                yield from self._walk(root, path, readers)
            elif entry.is_file():
                stat = entry.stat()
                relative = path.relative_to(root).as_posix()
                yield RemoteItem(
                    key=relative,
                    path=relative,
                    name=entry.name,
                    modified_at=datetime.fromtimestamp(stat.st_mtime, UTC),
                    size=stat.st_size,
                    version=f"{stat.st_size}:{stat.st_mtime_ns}",
                    grants=readers,
                )

    def fetch(self, item: RemoteItem, *, max_bytes: int) -> bytes:
        path = self.root.resolve() / item.key
        try:
            with path.open("rb") as file:
                content = file.read(max_bytes + 1)
        except OSError as error:
            raise ConnectorError(f"cannot read {item.path}: {error.strerror}") from error
        if len(content) > max_bytes:
            raise ItemTooLarge(f"{item.path} is larger than {max_bytes} bytes")
        return content

    def close(self) -> None:
        return None


def _readers_of(access: Path) -> tuple[Grant, ...] | None:
    try:
        data = yaml.safe_load(access.read_text(encoding="utf-8"))
        readers = data.get("readers") if isinstance(data, dict) else None
        if not isinstance(readers, list) or not all(isinstance(r, str) for r in readers):
            return None
        return parse_readers(readers)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError):
        return None
