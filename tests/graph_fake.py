"""A local fake of Entra ID's token endpoint and of Microsoft Graph's SharePoint surface, served
for real over HTTPS on 127.0.0.1 (msal accepts only an https authority) with a certificate
made at start; ``FakeGraph.ca_path`` is what clients verify it with.

It holds one tenant, one application, one site and its libraries (drives) in memory, speaks
Graph's paths and JSON shapes (driveItem, permission, delta with ``token=`` links, ``$batch``,
``/content`` redirecting to a pre-authenticated download URL) and checks the bearer token on
every Graph call. Helpers let a test change the library (add, update, move, delete, share,
break inheritance) and make Graph misbehave (throttle, refuse permissions, expire delta
tokens, revoke tokens). Every request is logged in ``requests``; anything a real client should
never do (an unknown path, a token sent to the download URL, a batch over 20 requests) is
also recorded in ``violations``, which tests check at teardown.

Like real SharePoint, delta pages leave ``parentReference.path`` out and report a folder whose
sharing changed without its children; they include the ancestors of changed items.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import secrets
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

TENANT_ID = "8f2e6c1a-4b7d-4e59-9a3c-1d2e3f405162"
CLIENT_ID = "a6c1e0b2-53f4-4d8e-b1a7-0c9d8e7f6a5b"
CLIENT_SECRET = "Zq8~fake.SECRET-value_do-not-leak"
HOSTNAME = "contoso.sharepoint.com"
SITE_PATH = "sites/market-studies"
SITE_NAME = "Market Studies"
EPOCH = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


# --- permissions as Graph shows them ---------------------------------------------------------


def user(email: str, name: str | None = None, roles: tuple[str, ...] = ("read",)) -> dict[str, Any]:
    """A permission granted directly to a user (as SharePoint shows it: user + siteUser)."""
    return {"roles": list(roles), "grantedToV2": _user_set(email, name)}


def site_user(login_name: str, name: str, roles: tuple[str, ...] = ("read",)) -> dict[str, Any]:
    """A permission to a SharePoint principal known only by its claim (``loginName``)."""
    principal = {"id": "14", "displayName": name, "loginName": login_name}
    return {"roles": list(roles), "grantedToV2": {"siteUser": principal}}


def group(name: str, roles: tuple[str, ...] = ("read",)) -> dict[str, Any]:
    """A permission to an Entra ID (Microsoft 365) group."""
    group_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, name))
    mail = name.lower().replace(" ", "-") + "@contoso.com"
    return {
        "roles": list(roles),
        "grantedToV2": {
            "group": {"id": group_id, "displayName": name, "email": mail},
            "siteUser": {
                "id": "21",
                "displayName": name,
                "email": mail,
                "loginName": f"c:0o.c|federateddirectoryclaimprovider|{group_id}",
            },
        },
    }


def site_group(name: str, roles: tuple[str, ...] = ("read",)) -> dict[str, Any]:
    """A permission to a SharePoint site group (Owners, Members, Visitors...)."""
    principal = {"id": "5", "displayName": name, "loginName": name}
    return {"roles": list(roles), "grantedToV2": {"siteGroup": principal}}


def link(scope: str, *people: str, kind: str = "view") -> dict[str, Any]:
    """A sharing link; for ``scope="users"``, the people it was sent to."""
    link_id = secrets.token_hex(6)
    permission: dict[str, Any] = {
        "roles": ["write" if kind == "edit" else "read"],
        "shareId": f"u!{link_id}",
        "hasPassword": False,
        "link": {
            "scope": scope,
            "type": kind,
            "webUrl": f"https://{HOSTNAME}/:w:/s/market-studies/{link_id}",
            "preventsDownload": False,
        },
    }
    if people:
        permission["grantedToIdentitiesV2"] = [_user_set(email) for email in people]
    return permission


def application(name: str) -> dict[str, Any]:
    """A permission granted to an application (Sites.Selected)."""
    app = {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)), "displayName": name}
    return {"roles": ["read"], "grantedToV2": {"application": app}}


def _user_set(email: str, name: str | None = None) -> dict[str, Any]:
    display = name or email.split("@")[0].title()
    user_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, email.lower()))
    return {
        "user": {"id": user_id, "displayName": display, "email": email},
        "siteUser": {
            "id": "9",
            "displayName": display,
            "email": email,
            "loginName": f"i:0#.f|membership|{email.lower()}",
        },
    }


# --- state -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    batched: bool = False
    """Sent inside a ``$batch`` request."""


@dataclass
class _Item:
    id: str
    drive: str
    name: str
    parent: str | None
    folder: bool
    created: int
    seq: int
    content: bytes = b""
    permissions: list[dict[str, Any]] = field(default_factory=list)
    inherits: bool = True
    deleted: bool = False
    shared_seq: int = -1
    versions: int = 1
    content_versions: int = 1
    modified: dt.datetime = EPOCH
    fail_permissions: int | None = None


@dataclass
class _Throttle:
    count: int
    status: int
    retry_after: str | None
    path_contains: str


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None


def _error(status: int, code: str, message: str, **headers: str) -> _Reply:
    body = {"error": {"code": code, "message": message, "innerError": {"date": "2025-03-01"}}}
    return _Reply(status, body, dict(headers))


class FakeGraph:
    """``with FakeGraph() as graph:`` serves it; the paths in helpers are under a library's
    root (``"Reports/2024/q1.docx"``)."""

    def __init__(self, *, libraries: tuple[str, ...] = ("Documents",)) -> None:
        self.tenant_id = TENANT_ID
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET
        self.site_id = f"{HOSTNAME},{uuid.uuid4()},{uuid.uuid4()}"
        self.requests: list[Received] = []
        self.violations: list[str] = []
        self.permissions_page_size = 100
        self.chunked_downloads = False
        self._lock = threading.RLock()
        self._seq = 0
        self._created = 0
        self._epoch = 0
        self._items: dict[str, _Item] = {}
        self._drives: dict[str, tuple[str, str]] = {}  # drive id -> (name, root item id)
        self._tokens: set[str] = set()
        self._downloads: dict[str, str] = {}
        self._throttles: list[_Throttle] = []
        for name in libraries:
            drive_id = "b!" + base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
            root = self._new_item(drive_id, "root", None, folder=True)
            root.permissions = [
                site_group(f"{SITE_NAME} Owners", ("owner",)),
                site_group(f"{SITE_NAME} Members", ("write",)),
                site_group(f"{SITE_NAME} Visitors", ("read",)),
            ]
            for permission in root.permissions:
                permission["id"] = secrets.token_hex(4)
            root.inherits = False
            self._drives[drive_id] = (name, root.id)
        self._tmp = Path(tempfile.mkdtemp(prefix="graph-fake-"))
        self.ca_path = str(self._tmp / "cert.pem")
        key_path = str(self._tmp / "key.pem")
        _write_certificate(self.ca_path, key_path)
        self._server = _TlsServer(self._app(), self.ca_path, key_path)
        self.resources = {self.url, "https://graph.test"}
        """Origins a token can be asked for (``{origin}/.default``); the second is the Graph
        tests mock with ``httpx.MockTransport``."""

    # --- running ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def graph_url(self) -> str:
        return f"{self.url}/v1.0"

    @property
    def site(self) -> str:
        return f"{HOSTNAME}:/{SITE_PATH}"

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments of a ``SharePointConnector`` pointed at this fake."""
        return {
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "site": self.site,
            "authority_host": self.url,
            "graph_url": self.graph_url,
            "verify": self.ca_path,
            "retries": 2,
            "timeout": 10.0,
        } | overrides

    def start(self) -> FakeGraph:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> FakeGraph:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests change ------------------------------------------------------------------

    def drive_id(self, library: str = "Documents") -> str:
        return next(d for d, (name, _) in self._drives.items() if name == library)

    def item_id(self, path: str, library: str = "Documents") -> str:
        with self._lock:
            return self._find(path, library).id

    def key(self, path: str, library: str = "Documents") -> str:
        """The connector's key for the item at ``path``."""
        return f"{self.drive_id(library)}:{self.item_id(path, library)}"

    def add_folder(self, path: str, *, library: str = "Documents") -> str:
        with self._lock:
            return self._ensure_folder(path.strip("/").split("/"), library).id

    def add_file(
        self,
        path: str,
        content: bytes = b"",
        *,
        permissions: tuple[dict[str, Any], ...] = (),
        inherits: bool = True,
        library: str = "Documents",
    ) -> str:
        with self._lock:
            *folders, name = path.strip("/").split("/")
            parent = self._ensure_folder(folders, library)
            item = self._new_item(self.drive_id(library), name, parent.id, folder=False)
            item.content = content
            item.inherits = inherits
            item.permissions = [self._with_id(p) for p in permissions]
            return item.id

    def update_file(self, path: str, content: bytes, *, library: str = "Documents") -> None:
        with self._lock:
            item = self._find(path, library)
            item.content = content
            item.content_versions += 1
            self._touch(item)

    def move(self, path: str, new_path: str, *, library: str = "Documents") -> None:
        with self._lock:
            item = self._find(path, library)
            *folders, name = new_path.strip("/").split("/")
            item.parent = self._ensure_folder(folders, library).id
            item.name = name
            self._touch(item)

    def delete(self, path: str, *, library: str = "Documents") -> None:
        """Delete an item (a folder with everything under it, each reported deleted)."""
        with self._lock:
            for item in self._subtree(self._find(path, library)):
                item.deleted = True
                self._touch(item)

    def share(
        self, path: str, *permissions: dict[str, Any], library: str = "Documents"
    ) -> list[str]:
        """Add direct permissions; returns their ids."""
        with self._lock:
            item = self._find(path, library)
            added = [self._with_id(p) for p in permissions]
            item.permissions.extend(added)
            self._touch(item, sharing=True)
            return [p["id"] for p in added]

    def unshare(self, path: str, permission_id: str, *, library: str = "Documents") -> None:
        with self._lock:
            item = self._find(path, library)
            item.permissions = [p for p in item.permissions if p["id"] != permission_id]
            self._touch(item, sharing=True)

    def set_inheritance(self, path: str, inherits: bool, *, library: str = "Documents") -> None:
        """Break inheritance (the inherited permissions become the item's own, as SharePoint
        copies them) or restore it (the item's own permissions are dropped)."""
        with self._lock:
            item = self._find(path, library)
            if not inherits and item.inherits:
                item.permissions = [dict(p) for p in self._effective(item)]
            elif inherits:
                item.permissions = []
            item.inherits = inherits
            self._touch(item, sharing=True)

    def fail_permissions(self, path: str, status: int = 403, *, library: str = "Documents") -> None:
        with self._lock:
            self._find(path, library).fail_permissions = status

    def throttle(
        self,
        count: int,
        *,
        status: int = 429,
        retry_after: str | None = "0",
        path_contains: str = "",
    ) -> None:
        """The next ``count`` requests whose path contains ``path_contains`` (inside a ``$batch``
        too; any Graph request sent on its own when empty) answer ``status`` with
        ``Retry-After``."""
        with self._lock:
            self._throttles.append(_Throttle(count, status, retry_after, path_contains))

    def expire_delta_tokens(self) -> None:
        """Every delta link given so far answers 410 Gone (resyncRequired)."""
        with self._lock:
            self._epoch += 1

    def revoke_tokens(self) -> None:
        """Access tokens issued so far are refused (401), as after a key rollover."""
        with self._lock:
            self._tokens.clear()

    def graph_calls(self, contains: str = "") -> list[Received]:
        """Graph requests received, inside ``$batch`` requests included."""
        return [r for r in self.requests if r.path.startswith("/v1.0/") and contains in r.path]

    def token_calls(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/oauth2/v2.0/token")]

    # --- model ------------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _new_item(self, drive: str, name: str, parent: str | None, *, folder: bool) -> _Item:
        self._created += 1
        item_id = "01" + hashlib.sha1(uuid.uuid4().bytes).hexdigest()[:30].upper()  # noqa: S324
        item = _Item(item_id, drive, name, parent, folder, self._created, self._next_seq())
        item.modified = EPOCH + dt.timedelta(minutes=self._created)
        self._items[item_id] = item
        return item

    def _touch(self, item: _Item, *, sharing: bool = False) -> None:
        item.seq = self._next_seq()
        if sharing:
            item.shared_seq = item.seq
        else:
            item.versions += 1
            item.modified = EPOCH + dt.timedelta(minutes=100 + item.seq)

    def _with_id(self, permission: dict[str, Any]) -> dict[str, Any]:
        return {"id": secrets.token_hex(4)} | permission

    def _children(self, item: _Item) -> list[_Item]:
        kids = [i for i in self._items.values() if i.parent == item.id and not i.deleted]
        return sorted(kids, key=lambda i: i.created)

    def _subtree(self, item: _Item) -> Iterator[_Item]:
        yield item
        for child in self._children(item):
            yield from self._subtree(child)

    def _root(self, library: str) -> _Item:
        return self._items[self._drives[self.drive_id(library)][1]]

    def _find(self, path: str, library: str) -> _Item:
        item = self._root(library)
        for name in [p for p in path.strip("/").split("/") if p]:
            item = next(c for c in self._children(item) if c.name == name)
        return item

    def _ensure_folder(self, names: list[str], library: str) -> _Item:
        folder = self._root(library)
        for name in names:
            existing = [c for c in self._children(folder) if c.name == name and c.folder]
            folder = (
                existing[0]
                if existing
                else self._new_item(folder.drive, name, folder.id, folder=True)
            )
        return folder

    def _path(self, item: _Item) -> str:
        names: list[str] = []
        while item.parent is not None:
            names.append(item.name)
            item = self._items[item.parent]
        return "/".join(reversed(names))

    def _effective(self, item: _Item) -> list[dict[str, Any]]:
        permissions = list(item.permissions)
        if item.inherits and item.parent is not None:
            permissions += self._effective(self._items[item.parent])
        return permissions

    def _item_json(self, item: _Item, *, in_delta: bool = False) -> dict[str, Any]:
        drive_name = self._drives[item.drive][0]
        reference: dict[str, Any] = {"driveType": "documentLibrary", "driveId": item.drive}
        if item.parent is not None:
            reference["id"] = item.parent
            reference["siteId"] = self.site_id
            if not in_delta:
                parent_path = self._path(self._items[item.parent])
                reference["path"] = f"/drives/{item.drive}/root:" + (
                    "/" + quote(parent_path) if parent_path else ""
                )
        guid = str(uuid.UUID(hashlib.md5(item.id.encode()).hexdigest())).upper()  # noqa: S324
        data: dict[str, Any] = {
            "id": item.id,
            "eTag": f'"{{{guid}}},{item.versions}"',
            "parentReference": reference,
        }
        if item.deleted:
            data["deleted"] = {"state": "deleted"}
            data["file" if not item.folder else "folder"] = {}
            return data
        web_path = quote(f"{drive_name}/{self._path(item)}".rstrip("/"))
        data |= {
            "name": item.name if item.parent is not None else "root",
            "cTag": f'"c:{{{guid}}},{item.content_versions}"',
            "createdDateTime": EPOCH.isoformat().replace("+00:00", "Z"),
            "lastModifiedDateTime": item.modified.isoformat().replace("+00:00", "Z"),
            "webUrl": f"https://{HOSTNAME}/{SITE_PATH}/{web_path}",
            "size": len(item.content) if not item.folder else 0,
        }
        if item.parent is None:
            data["root"] = {}
        if item.folder:
            data["folder"] = {"childCount": len(self._children(item))}
        else:
            digest = base64.b64encode(hashlib.sha256(item.content).digest()[:20]).decode()
            data["file"] = {
                "mimeType": "application/octet-stream",
                "hashes": {"quickXorHash": digest},
            }
        return data

    # --- HTTP -------------------------------------------------------------------------------

    def _app(self) -> Starlette:
        async def endpoint(request: Request) -> Response:
            body = await request.body()
            headers = {k.lower(): v for k, v in request.headers.items()}
            reply = self.respond(
                request.method, request.url.path, dict(request.query_params), headers, body
            )
            if reply.content is not None:
                if self.chunked_downloads:
                    data = reply.content

                    async def chunks() -> Any:
                        for start in range(0, len(data), 1024):
                            yield data[start : start + 1024]

                    return StreamingResponse(chunks(), reply.status, headers=reply.headers)
                return Response(reply.content, reply.status, headers=reply.headers)
            if reply.body is None:
                return Response(b"", reply.status, headers=reply.headers)
            return Response(
                json.dumps(reply.body),
                reply.status,
                headers=reply.headers,
                media_type="application/json",
            )

        return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])

    def respond(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        *,
        batched: bool = False,
    ) -> _Reply:
        with self._lock:
            self.requests.append(Received(method, path, query, headers, batched))
            for rule in self._throttles:
                if rule.count > 0 and (
                    rule.path_contains in path
                    if rule.path_contains
                    else path.startswith("/v1.0/") and not batched
                ):
                    rule.count -= 1
                    extra = (
                        {"Retry-After": rule.retry_after} if rule.retry_after is not None else {}
                    )
                    code = "TooManyRequests" if rule.status == 429 else "serviceNotAvailable"
                    return _error(rule.status, code, "Please retry later.", **extra)
            if path.startswith(f"/{self.tenant_id}/") or (
                path.endswith("/openid-configuration") or path.endswith("/oauth2/v2.0/token")
            ):
                return self._entra(method, path, body)
            if path.startswith("/_layouts/15/download.aspx"):
                return self._download(query, headers)
            if not path.startswith("/v1.0/"):
                return self._unexpected(method, path)
            if headers.get("authorization", "").removeprefix("Bearer ") not in self._tokens:
                return _error(401, "InvalidAuthenticationToken", "Access token validation failure.")
            if method == "POST" and path == "/v1.0/$batch":
                return self._batch(json.loads(body or b"{}"), headers)
            if method != "GET":
                return self._unexpected(method, path)
            return self._graph(path.removeprefix("/v1.0"), query, headers)

    def _unexpected(self, method: str, path: str) -> _Reply:
        self.violations.append(f"unexpected request: {method} {path}")
        return _error(400, "BadRequest", f"Unsupported request: {method} {path}")

    # --- Entra ID ---------------------------------------------------------------------------

    def _entra(self, method: str, path: str, body: bytes) -> _Reply:
        tenant, _, rest = path.strip("/").partition("/")
        if tenant != self.tenant_id:
            return _Reply(
                400,
                {
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                },
            )
        if method == "GET" and rest == "v2.0/.well-known/openid-configuration":
            base = f"{self.url}/{tenant}"
            return _Reply(
                200,
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "code id_token"],
                    "token_endpoint_auth_methods_supported": [
                        "client_secret_post",
                        "private_key_jwt",
                    ],
                    "tenant_region_scope": "EU",
                },
            )
        if method == "POST" and rest == "oauth2/v2.0/token":
            form = dict(parse_qsl(body.decode()))
            if form.get("grant_type") != "client_credentials":
                return _Reply(
                    400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"}
                )
            if form.get("client_id") != self.client_id:
                return _Reply(
                    400,
                    {
                        "error": "unauthorized_client",
                        "error_description": f"AADSTS700016: Application with identifier "
                        f"'{form.get('client_id')}' was not found in the directory.",
                    },
                )
            if form.get("client_secret") != self.client_secret:
                return _Reply(
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided. "
                        "Ensure the secret being sent in the request is the client secret value, "
                        f"not the client secret ID, for a secret added to app '{self.client_id}'.",
                        "error_codes": [7000215],
                    },
                )
            if form.get("scope") not in {f"{r}/.default" for r in self.resources}:
                return _Reply(400, {"error": "invalid_scope", "error_description": "AADSTS1002012"})
            token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(32)
            self._tokens.add(token)
            return _Reply(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "ext_expires_in": 3599,
                    "access_token": token,
                },
            )
        return self._unexpected(method, path)

    # --- Graph ------------------------------------------------------------------------------

    def _batch(self, body: dict[str, Any], headers: dict[str, str]) -> _Reply:
        requests = body.get("requests", [])
        if not 0 < len(requests) <= 20:
            self.violations.append(f"$batch with {len(requests)} requests")
            return _error(400, "BadRequest", "A batch holds 1 to 20 requests.")
        responses = []
        for entry in requests:
            url = urlsplit(entry["url"])
            if entry.get("method") != "GET" or not url.path.startswith("/"):
                self.violations.append(f"unexpected batched request: {entry}")
            sub = self.respond(
                "GET", "/v1.0" + url.path, dict(parse_qsl(url.query)), headers, b"", batched=True
            )
            responses.append(
                {
                    "id": entry["id"],
                    "status": sub.status,
                    "headers": sub.headers | {"Content-Type": "application/json"},
                    "body": sub.body,
                }
            )
        return _Reply(200, {"responses": list(reversed(responses))})  # Graph answers in any order

    def _graph(self, path: str, query: dict[str, str], headers: dict[str, str]) -> _Reply:
        parts = path.strip("/").split("/")
        if parts[0] == "sites":
            return self._sites(path, parts)
        if parts[0] != "drives" or len(parts) < 3 or parts[1] not in self._drives:
            return _error(404, "itemNotFound", "The resource could not be found.")
        drive = parts[1]
        if parts[2:] == ["root", "delta"]:
            return self._delta(drive, query, headers)
        if parts[2] != "items" or len(parts) < 4:
            return self._unexpected("GET", path)
        item = self._items.get(parts[3])
        if item is None or item.deleted or item.drive != drive:
            return _error(404, "itemNotFound", "The resource could not be found.")
        action = parts[4:]
        if not action:
            return _Reply(200, self._item_json(item))
        if action == ["children"]:
            children = [self._item_json(c) for c in self._children(item)]
            return self._collection(f"/drives/{drive}/items/{item.id}/children", children, query)
        if action == ["permissions"]:
            if item.fail_permissions:
                return _error(item.fail_permissions, "accessDenied", "Access denied.")
            query = {"$top": str(self.permissions_page_size)} | query
            return self._collection(
                f"/drives/{drive}/items/{item.id}/permissions", self._effective(item), query
            )
        if action == ["content"]:
            opaque = secrets.token_urlsafe(16)
            self._downloads[opaque] = item.id
            location = f"{self.url}/_layouts/15/download.aspx?UniqueId={item.id}&tempauth={opaque}"
            return _Reply(302, None, {"Location": location})
        return self._unexpected("GET", path)

    def _collection(self, path: str, values: list[Any], query: dict[str, str]) -> _Reply:
        top = int(query.get("$top", "200"))
        skip = int(query.get("$skiptoken", "0"))
        body: dict[str, Any] = {"value": values[skip : skip + top]}
        if skip + top < len(values):
            body["@odata.nextLink"] = f"{self.graph_url}{path}?" + urlencode(
                {"$top": top, "$skiptoken": skip + top}
            )
        return _Reply(200, body)

    def _sites(self, path: str, parts: list[str]) -> _Reply:
        site = {
            "id": self.site_id,
            "name": SITE_PATH.split("/")[-1],
            "displayName": SITE_NAME,
            "webUrl": f"https://{HOSTNAME}/{SITE_PATH}",
            "siteCollection": {"hostname": HOSTNAME},
        }
        if path == f"/sites/{HOSTNAME}:/{SITE_PATH}" or parts[1:] == [self.site_id]:
            return _Reply(200, site)
        if parts[1] != self.site_id:
            return _error(404, "itemNotFound", "Requested site could not be found")
        drives = [self._drive_json(d) for d in self._drives]
        if parts[2:] == ["drive"]:
            return _Reply(200, drives[0])
        if parts[2:] == ["drives"]:
            return _Reply(200, {"value": drives})
        return self._unexpected("GET", "/v1.0" + path)

    def _drive_json(self, drive: str) -> dict[str, Any]:
        name = self._drives[drive][0]
        return {
            "id": drive,
            "name": name,
            "driveType": "documentLibrary",
            "webUrl": f"https://{HOSTNAME}/{SITE_PATH}/{quote(name)}",
        }

    def _delta(self, drive: str, query: dict[str, str], headers: dict[str, str]) -> _Reply:
        prefer = headers.get("prefer", "")
        token = query.get("token")
        if token is None:
            state: dict[str, Any] = {"since": None, "snap": self._seq, "after": 0}
            top = int(query.get("$top", "200"))
        else:
            try:
                state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            except ValueError:
                return _error(400, "invalidRequest", "Invalid delta token.")
            if state.get("drive") != drive or state.get("epoch") != self._epoch:
                return _error(
                    410,
                    "resyncRequired",
                    "Resync required. Replace any local items with the server's version.",
                    Location=f"{self.graph_url}/drives/{drive}/root/delta",
                )
            top = int(state.get("top", query.get("$top", "200")))
            if "snap" not in state:  # a delta link: changes since then, up to now
                state = {"since": state["since"], "snap": self._seq, "after": 0}
        since, snap = state["since"], state["snap"]
        drive_items = [i for i in self._items.values() if i.drive == drive]
        if since is None:
            listed = {i.id for i in drive_items if not i.deleted}
        else:
            listed = {i.id for i in drive_items if since < i.seq <= snap}
            for item_id in list(listed):
                parent = self._items[item_id].parent
                while parent is not None:
                    listed.add(parent)
                    parent = self._items[parent].parent
        ordered = sorted(
            (self._items[i] for i in listed if self._items[i].created > state["after"]),
            key=lambda i: i.created,
        )
        page = ordered[:top]
        values = []
        for item in page:
            data = self._item_json(item, in_delta=True)
            if (
                since is not None
                and since < item.shared_seq <= snap
                and "deltashowsharingchanges" in prefer
            ):
                data["@microsoft.graph.sharedChanged"] = "True"
            values.append(data)
        body: dict[str, Any] = {
            "@odata.context": f"{self.graph_url}/$metadata#Collection(driveItem)",
            "value": values,
        }
        common = {"drive": drive, "epoch": self._epoch, "top": top}
        if len(ordered) > top:
            state = common | {"since": since, "snap": snap, "after": page[-1].created}
            body["@odata.nextLink"] = self._delta_link(drive, state)
        else:
            body["@odata.deltaLink"] = self._delta_link(drive, common | {"since": snap})
        return _Reply(200, body)

    def _delta_link(self, drive: str, state: dict[str, Any]) -> str:
        token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")
        return f"{self.graph_url}/drives/{drive}/root/delta?token={token}"

    def _download(self, query: dict[str, str], headers: dict[str, str]) -> _Reply:
        if "authorization" in headers:
            self.violations.append("a token was sent to the pre-authenticated download URL")
            return _error(400, "invalidRequest", "Do not send a token to the download URL.")
        item_id = self._downloads.pop(query.get("tempauth", ""), None)
        if item_id is None or item_id != query.get("UniqueId"):
            return _Reply(401, None)
        item = self._items[item_id]
        return _Reply(
            200, content=item.content, headers={"Content-Type": "application/octet-stream"}
        )


# --- serving over TLS --------------------------------------------------------------------------


def _write_certificate(cert_path: str, key_path: str) -> None:
    """A self-signed certificate for 127.0.0.1 and localhost (it is its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "graph-fake.local")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    Path(cert_path).write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    Path(key_path).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


class _TlsServer:
    """uvicorn serving an ASGI app over HTTPS in a daemon thread, on a socket bound first."""

    def __init__(self, app: Any, cert_path: str, key_path: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            log_config=None,
            access_log=False,
            loop="uvloop",  # asyncio's loop answers ~45 ms late here, uvloop in ~2 ms
            ws="none",
            lifespan="off",
            ssl_certfile=cert_path,
            ssl_keyfile=key_path,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the fake Graph on {self.url} did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        self.sock.close()


__all__ = [
    "CLIENT_SECRET",
    "FakeGraph",
    "Received",
    "application",
    "group",
    "link",
    "site_group",
    "site_user",
    "user",
]
