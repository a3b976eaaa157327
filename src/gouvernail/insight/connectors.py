"""What a connector is: it lists what changed in a document store since a cursor, and fetches
one item's bytes. Connectors know nothing of our database: the sync decides what to index.

A connector names readers as the store does (``Grant``); the sync maps them to our users and
teams. An item whose permissions cannot be read carries ``grants=None``: it is excluded from
the index and reported, never shown to everyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol


class ConnectorError(Exception):
    """The store refused or failed (authentication, network, throttling past the retries).

    ``message`` names what to fix and never holds a secret."""

    def __init__(self, message: str, *, code: str = "connector_failed") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class ItemTooLarge(ConnectorError):  # noqa: N818 - reads as the condition, like TimeoutError
    def __init__(self, message: str) -> None:
        super().__init__(message, code="too_large")


@dataclass(frozen=True, slots=True)
class Grant:
    """Who may read an item, as the store names them: a user by e-mail, a group by its display
    name, or everyone in the organisation (``name`` is then empty)."""

    kind: Literal["user", "group", "everyone"]
    name: str = ""


@dataclass(frozen=True, slots=True)
class RemoteItem:
    """One file of the store, as listed (its content is fetched only when ``version`` changed)."""

    key: str
    """Stable identity in the store: the relative path for a folder, ``driveId:itemId`` for
    SharePoint."""
    path: str
    """Where a reader finds it (folder path or site/library/folders), shown in citations."""
    name: str
    """File name with its extension (the parser reads the type from it)."""
    modified_at: datetime
    size: int
    version: str
    """A cheap change tag (size and modification time, SharePoint's cTag): equal means unchanged."""
    grants: tuple[Grant, ...] | None
    """Who may read it; ``None``: the permissions could not be resolved."""
    url: str = ""
    """Where a reader opens it (SharePoint's webUrl); empty for a folder."""


@dataclass(frozen=True, slots=True)
class Removed:
    """An item deleted from the store (or moved out of what the source covers)."""

    key: str


Change = RemoteItem | Removed


@dataclass(frozen=True, slots=True)
class Batch:
    """Changes to apply, then the cursor to resume from once they are all applied."""

    changes: tuple[Change, ...]
    cursor: str | None
    """Where the next sync (or a resumed one) starts after this batch; ``None``: from scratch."""
    complete: bool = False
    """This is the last batch of a full enumeration: items of the index not listed since the
    enumeration began are gone from the store."""


class Connector(Protocol):
    @property
    def kind(self) -> str:
        """folder or sharepoint"""
        ...

    def changes(self, cursor: str | None) -> Iterator[Batch]:
        """What changed since ``cursor`` (everything when ``None``), in batches; raises
        ``ConnectorError``."""
        ...

    def fetch(self, item: RemoteItem, *, max_bytes: int) -> bytes:
        """The item's content; ``ItemTooLarge`` past ``max_bytes`` (checked while reading,
        not only from the listed size); ``ConnectorError`` when it cannot be read."""
        ...

    def close(self) -> None: ...
