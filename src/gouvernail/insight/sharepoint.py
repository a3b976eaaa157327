"""SharePoint Online through Microsoft Graph: one document library (a drive) of one site.

Changes come from Graph's delta query on the drive. A cursor is the Graph link to call next
(``@odata.nextLink`` while a listing is under way, ``@odata.deltaLink`` once it is done),
prefixed with ``full:`` while a full enumeration is under way, so that an enumeration resumed
after a crash still ends with ``complete=True``. A full enumeration begins with
``changes(None)`` or, when Graph no longer honours a delta link (410 Gone), with an empty batch
whose cursor is ``None``; the caller keeps that moment until the ``complete`` batch.

Permissions are read per file (``/permissions``, twenty files per ``$batch`` request) and named
as SharePoint names readers; a file whose permissions cannot be read or name someone we
cannot identify carries ``grants=None``. The application needs ``Sites.Read.All`` (or
``Sites.Selected`` on the site) and, for Graph to return every sharing permission and sharing
change, ``Sites.FullControl.All``.

Known limits: a renamed or moved folder does not bring its files back in the delta feed, so
their ``path`` stays stale until they change; folders are not items of the index.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import unquote

import httpx
import structlog

from gouvernail.insight.connectors import (
    Batch,
    Change,
    ConnectorError,
    Grant,
    RemoteItem,
    Removed,
)
from gouvernail.insight.graph import GraphClient, GraphStatusError, segment

log = structlog.get_logger(__name__)

PREFER = "deltashowremovedasdeleted, deltatraversepermissiongaps, deltashowsharingchanges"
FULL = "full:"
"""Prefix of a cursor inside a full enumeration."""
EVERYONE_CLAIMS = ("c:0-.f|rolemanager|spo-grid-all-users/", "c:0(.s|true")
"""Login names of SharePoint's "Everyone except external users" and "Everyone"."""
UNRESOLVED_STATUSES = {403, 404}
"""Permission answers that leave a file unresolved rather than failing the sync."""
ITEM_FIELDS = "id,name,root,folder,parentReference"


@dataclass(frozen=True, slots=True)
class _Drive:
    id: str
    name: str
    site_name: str


class SharePointConnector:
    """A :class:`~gouvernail.insight.connectors.Connector` over one SharePoint library."""

    kind: Literal["sharepoint"] = "sharepoint"

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        site: str,
        library: str | None = None,
        authority_host: str = "https://login.microsoftonline.com",
        graph_url: str = "https://graph.microsoft.com/v1.0",
        page_size: int = 200,
        timeout: float = 30.0,
        retries: int = 4,
        verify: bool | str = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._site = site
        self._library = library
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._page_size = page_size
        self._graph = GraphClient(
            tenant_id=tenant_id,
            client_id=client_id,
            client_secret=client_secret,
            authority_host=authority_host,
            graph_url=graph_url,
            timeout=timeout,
            retries=retries,
            verify=verify,
            transport=transport,
        )
        self._drive: _Drive | None = None
        self._folders: dict[str, str] = {}
        """Folder id → its path under the library root ("" for the root)."""

    def __repr__(self) -> str:
        return (
            f"SharePointConnector(site={self._site!r}, library={self._library!r}, "
            f"tenant_id={self._tenant_id!r}, client_id={self._client_id!r})"
        )

    def close(self) -> None:
        self._graph.close()

    # --- site and library -------------------------------------------------------------------

    def _resolve(self) -> _Drive:
        if self._drive is not None:
            return self._drive
        if ":/" in self._site:
            hostname, _, path = self._site.partition(":/")
            site = self._graph.get_json(f"/sites/{hostname}:/{path.strip('/')}")
        else:
            site = self._graph.get_json(f"/sites/{segment(self._site)}")
        site_id = str(site["id"])
        site_name = str(site.get("displayName") or site.get("name") or self._site)
        drive: Mapping[str, Any]
        if self._library is None:
            drive = self._graph.get_json(f"/sites/{segment(site_id)}/drive")
        else:
            drives = list(self._graph.pages(f"/sites/{segment(site_id)}/drives"))
            drive = _pick_library(drives, self._library, site_name)
        self._drive = _Drive(id=str(drive["id"]), name=str(drive["name"]), site_name=site_name)
        return self._drive

    # --- changes ----------------------------------------------------------------------------

    def changes(self, cursor: str | None) -> Iterator[Batch]:
        """What changed since ``cursor`` (a Graph link, see the module), one batch per delta
        page; a delta link Graph no longer honours (410) starts a full enumeration over."""
        full = cursor is None or cursor.startswith(FULL)
        if cursor is not None:
            self._graph.url(cursor.removeprefix(FULL))  # refuse a foreign link before sending
        drive = self._resolve()
        link = self._first_link(drive) if cursor is None else cursor.removeprefix(FULL)
        current = cursor
        while True:
            try:
                page = self._graph.get_json(link, headers={"Prefer": PREFER})
            except GraphStatusError as exc:
                if exc.status != 410 or (full and current is None):
                    raise
                log.warning("sharepoint_resync", drive=drive.id, graph_code=exc.graph_code)
                full, current, link = True, None, self._first_link(drive)
                yield Batch((), None)  # a full enumeration begins here
                continue
            changes, shared_folders = self._page_changes(drive, page.get("value", []), full)
            relisted: set[str] = set()
            for chunk in self._relist(drive, shared_folders):
                relisted.update(item.key for item in chunk)
                yield Batch(tuple(chunk), current)
            changes = [c for c in changes if not isinstance(c, RemoteItem) or c.key not in relisted]
            next_link, delta_link = page.get("@odata.nextLink"), page.get("@odata.deltaLink")
            if not next_link and not delta_link:
                raise ConnectorError(
                    "Graph's delta page has neither a next link nor a delta link",
                    code="unavailable",
                )
            link = self._graph.url(str(next_link or delta_link))  # never hand out a foreign one
            if next_link:
                current = FULL + link if full else link
                yield Batch(tuple(changes), current)
                continue
            yield Batch(tuple(changes), link, complete=full)
            return

    def _first_link(self, drive: _Drive) -> str:
        return f"{self._graph.base}/drives/{segment(drive.id)}/root/delta?$top={self._page_size}"

    def _page_changes(
        self, drive: _Drive, values: Iterable[Mapping[str, Any]], full: bool
    ) -> tuple[list[Change], list[str]]:
        changes: list[Change] = []
        shared_folders: list[str] = []
        files: list[Mapping[str, Any]] = []
        for item in values:
            item_id = str(item["id"])
            if "deleted" in item:
                if self._folders.pop(item_id, None) is None and "folder" not in item:
                    changes.append(Removed(f"{drive.id}:{item_id}"))
            elif "folder" in item or "root" in item:
                self._learn_folder(drive, item)
                if not full and _truthy(item.get("@microsoft.graph.sharedChanged")):
                    shared_folders.append(item_id)
            elif "file" in item:
                files.append(item)
        changes.extend(self._items(drive, files))
        return changes, shared_folders

    def _relist(self, drive: _Drive, folder_ids: Sequence[str]) -> Iterator[list[RemoteItem]]:
        """The files under folders whose sharing changed (their inherited permissions may have
        changed), with fresh grants, in chunks of ``page_size``."""
        pending = list(folder_ids)
        files: list[Mapping[str, Any]] = []
        while pending:
            folder_id = pending.pop()
            path = f"/drives/{segment(drive.id)}/items/{segment(folder_id)}/children"
            for child in self._graph.pages(path, params={"$top": str(self._page_size)}):
                if "folder" in child:
                    self._learn_folder(drive, child)
                    pending.append(str(child["id"]))
                elif "file" in child:
                    files.append(child)
                if len(files) >= self._page_size:
                    yield self._items(drive, files)
                    files = []
        if files:
            yield self._items(drive, files)

    def _items(self, drive: _Drive, files: Sequence[Mapping[str, Any]]) -> list[RemoteItem]:
        grants = self._grants(drive, [str(f["id"]) for f in files])
        return [
            self._remote_item(drive, f, grants[str(f["id"])])
            for f in {str(f["id"]): f for f in files}.values()
        ]

    def _remote_item(
        self, drive: _Drive, item: Mapping[str, Any], grants: tuple[Grant, ...] | None
    ) -> RemoteItem:
        name = str(item["name"])
        parts = [drive.site_name, drive.name, self._parent_path(drive, item), name]
        modified = str(item.get("lastModifiedDateTime") or "1970-01-01T00:00:00Z")
        return RemoteItem(
            key=f"{drive.id}:{item['id']}",
            path="/".join(p for p in parts if p),
            name=name,
            modified_at=datetime.fromisoformat(modified),
            size=int(item.get("size") or 0),
            version=str(item.get("cTag") or item.get("eTag") or modified),
            grants=grants,
            url=str(item.get("webUrl") or ""),
        )

    # --- folder paths -----------------------------------------------------------------------

    def _learn_folder(self, drive: _Drive, item: Mapping[str, Any]) -> str:
        if "root" in item:
            path = ""
        else:
            parent = self._parent_path(drive, item)
            path = f"{parent}/{item['name']}" if parent else str(item["name"])
        self._folders[str(item["id"])] = path
        return path

    def _parent_path(self, drive: _Drive, item: Mapping[str, Any]) -> str:
        """The path of the item's folder under the library root: from ``parentReference.path``
        when Graph gives it (delta does not), else from folders seen, else asked to Graph."""
        reference = item.get("parentReference") or {}
        if "path" in reference:
            _, _, below = str(reference["path"]).partition("root:")
            return unquote(below).strip("/")
        parent_id = reference.get("id")
        if not parent_id:
            return ""
        if parent_id not in self._folders:
            folder = self._graph.get_json(
                f"/drives/{segment(drive.id)}/items/{segment(str(parent_id))}",
                params={"$select": ITEM_FIELDS},
            )
            return self._learn_folder(drive, folder)
        return self._folders[str(parent_id)]

    # --- permissions ------------------------------------------------------------------------

    def _grants(
        self, drive: _Drive, item_ids: Sequence[str]
    ) -> dict[str, tuple[Grant, ...] | None]:
        paths = [
            f"/drives/{segment(drive.id)}/items/{segment(item_id)}/permissions"
            for item_id in item_ids
        ]
        grants: dict[str, tuple[Grant, ...] | None] = {}
        for item_id, reply in zip(item_ids, self._graph.batch_get(paths), strict=True):
            if reply.status in UNRESOLVED_STATUSES:
                log.info("sharepoint_permissions_unreadable", item=item_id, status=reply.status)
                grants[item_id] = None
                continue
            if reply.status != 200:
                raise ConnectorError(
                    f"Graph answered {reply.status} listing the permissions of item {item_id}",
                    code="unavailable",
                )
            permissions = list(reply.body.get("value", []))
            next_link = reply.body.get("@odata.nextLink")
            if next_link:
                try:
                    permissions.extend(self._graph.pages(str(next_link)))
                except GraphStatusError as exc:
                    if exc.status not in UNRESOLVED_STATUSES:
                        raise
                    grants[item_id] = None
                    continue
            grants[item_id] = grants_of(permissions)
        return grants

    def fetch(self, item: RemoteItem, *, max_bytes: int) -> bytes:
        drive_id, _, item_id = item.key.partition(":")
        if not drive_id or not item_id:
            raise ConnectorError(f"not a SharePoint item key: {item.key!r}", code="not_found")
        return self._graph.download(
            f"/drives/{segment(drive_id)}/items/{segment(item_id)}/content", max_bytes=max_bytes
        )


def grants_of(permissions: Iterable[Mapping[str, Any]]) -> tuple[Grant, ...] | None:
    """Readers named by Graph permissions, or ``None`` when one names someone unidentifiable.

    Any role grants reading. A sharing link for the organisation or for anyone (``anonymous``,
    wider than everyone in the organisation: the index cannot do better) grants everyone; a
    link for specific people grants them (``grantedToIdentitiesV2``). An application's access
    names no reader."""
    grants: set[Grant] = set()
    for permission in permissions:
        if not permission.get("roles"):
            continue
        link = permission.get("link") or {}
        if link.get("scope") in {"organization", "anonymous"}:
            grants.add(Grant("everyone"))
            continue
        identity_sets = [permission.get("grantedToV2") or permission.get("grantedTo")]
        identity_sets += permission.get("grantedToIdentitiesV2") or (
            permission.get("grantedToIdentities") or []
        )
        named = [s for s in identity_sets if s]
        if not named and not link:
            return None
        for identity_set in named:
            grant = _grant(identity_set)
            if grant is False:
                return None
            if grant is not None:
                grants.add(grant)
    return tuple(sorted(grants, key=lambda g: (g.kind, g.name)))


def _grant(identity_set: Mapping[str, Any]) -> Grant | Literal[False] | None:
    """The reader an identity set names; ``None``: no reader (an application); ``False``:
    someone we cannot identify."""
    group = identity_set.get("group") or identity_set.get("siteGroup") or {}
    user = identity_set.get("user") or {}
    site_user = identity_set.get("siteUser") or {}
    if group:  # a Microsoft 365 group also comes with a siteUser holding its mailbox
        name = group.get("displayName")
        return Grant("group", str(name)) if name else False
    if user or site_user:
        login = str(site_user.get("loginName") or "")
        if login.startswith(EVERYONE_CLAIMS):
            return Grant("everyone")
        email = user.get("email") or site_user.get("email") or _upn(login)
        return Grant("user", str(email).lower()) if email else False
    if identity_set.get("application") or identity_set.get("device"):
        return None
    return False


def _upn(login_name: str) -> str:
    """The e-mail in a SharePoint claim such as ``i:0#.f|membership|alice@contoso.com``."""
    candidate = login_name.rsplit("|", 1)[-1]
    return candidate if "@" in candidate else ""


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _pick_library(
    drives: Sequence[Mapping[str, Any]], library: str, site_name: str
) -> Mapping[str, Any]:
    exact = [d for d in drives if d.get("name") == library]
    folded = [d for d in drives if str(d.get("name", "")).casefold() == library.casefold()]
    if exact or folded:
        return (exact or folded)[0]
    names = ", ".join(sorted(str(d.get("name", "")) for d in drives)) or "none"
    raise ConnectorError(
        f"no library named {library!r} in site {site_name!r}; its libraries: {names}",
        code="not_found",
    )
