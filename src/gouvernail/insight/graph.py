"""A small Microsoft Graph client for the SharePoint connector: an app-only token from Entra ID
(msal, client credentials), retries, links kept under Graph's address, JSON batching and
downloads that stop at a size limit.

Every Graph call carries the token; nothing else does: a link to follow must lie under
``graph_url`` (else ``ConnectorError``), and a download URL Graph redirects to is
pre-authenticated, so it is fetched without the ``Authorization`` header.
"""

from __future__ import annotations

import email.utils
import ssl
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import msal
import requests
import requests.adapters
import structlog

from gouvernail.insight.connectors import ConnectorError, ItemTooLarge

log = structlog.get_logger(__name__)

PUBLIC_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
    }
)
TRANSIENT = {429: "throttled", 503: "unavailable"}
MAX_WAIT = 60.0
"""Longest pause before a retry, whatever ``Retry-After`` asks."""
BATCH_SIZE = 20
"""Requests in one ``$batch`` (Graph's limit)."""
REDIRECTS = {301, 302, 303, 307, 308}
STATUS_CODES = {401: "authentication_failed", 403: "forbidden", 404: "not_found", 410: "gone"}


class GraphStatusError(ConnectorError):
    """Graph answered with an error status (``status``) and, usually, an error ``graph_code``."""

    def __init__(self, message: str, *, status: int, graph_code: str = "") -> None:
        super().__init__(message, code=STATUS_CODES.get(status, "connector_failed"))
        self.status = status
        self.graph_code = graph_code


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer inside a ``$batch``."""

    status: int
    body: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


def segment(value: str) -> str:
    """``value`` quoted as one path segment (Graph ids keep their ``!`` and ``,``)."""
    return quote(value, safe="!,:")


class GraphClient:
    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        authority_host: str,
        graph_url: str,
        timeout: float,
        retries: int,
        verify: bool | str,
        transport: httpx.BaseTransport | None,
    ) -> None:
        if not authority_host.startswith("https://"):
            raise ConnectorError(
                f"the Entra ID authority must be an https URL, not {authority_host!r}",
                code="invalid_settings",
            )
        self.base = graph_url.rstrip("/")
        self._base_url = httpx.URL(self.base)
        self._tenant_id = tenant_id
        self._client_id = client_id
        self._secret = client_secret
        self._authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self._authority_public = httpx.URL(authority_host).host in PUBLIC_AUTHORITY_HOSTS
        origin = self._base_url.copy_with(path="/", query=None, fragment=None)
        self._scope = f"{str(origin).rstrip('/')}/.default"
        self._timeout = timeout
        self._retries = retries
        self._app: Any = None
        # msal speaks `requests`; this session is ours so close() can close it
        self._session = requests.Session()
        self._verify = verify
        adapter = requests.adapters.HTTPAdapter(max_retries=retries)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        tls: bool | ssl.SSLContext = (
            ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
        )
        self._http = httpx.Client(timeout=timeout, verify=tls, transport=transport)

    def __repr__(self) -> str:
        return f"GraphClient(base={self.base!r}, authority={self._authority!r})"

    def close(self) -> None:
        self._http.close()
        self._session.close()

    # --- token ------------------------------------------------------------------------------

    def _scrub(self, text: str) -> str:
        return text.replace(self._secret, "***") if self._secret else text

    def _msal_app(self) -> Any:
        if self._app is None:
            try:
                self._app = msal.ConfidentialClientApplication(
                    self._client_id,
                    client_credential=self._secret,
                    authority=self._authority,
                    validate_authority=self._authority_public,
                    instance_discovery=None if self._authority_public else False,
                    http_client=_MsalHttp(self._session, self._timeout, self._verify),
                )
            except requests.RequestException as exc:
                raise ConnectorError(
                    f"cannot reach Entra ID at {self._authority} ({type(exc).__name__})",
                    code="unavailable",
                ) from None
            except ValueError:
                raise ConnectorError(
                    f"Entra ID at {self._authority} does not describe tenant "
                    f"{self._tenant_id!r} (authority discovery failed); check the tenant id",
                    code="authentication_failed",
                ) from None
        return self._app

    def token(self) -> str:
        app = self._msal_app()
        try:
            result = app.acquire_token_for_client(scopes=[self._scope])
        except requests.RequestException as exc:
            raise ConnectorError(
                f"cannot reach Entra ID at {self._authority} ({type(exc).__name__})",
                code="unavailable",
            ) from None
        except ValueError:
            raise ConnectorError(
                f"Entra ID at {self._authority} gave an answer msal cannot read",
                code="authentication_failed",
            ) from None
        if "access_token" not in result:
            description = str(result.get("error_description") or "").splitlines()
            raise ConnectorError(
                self._scrub(
                    f"Entra ID refused the client credentials of application {self._client_id} "
                    f"in tenant {self._tenant_id} ({result.get('error', 'unknown_error')}: "
                    f"{description[0] if description else 'no description'}); check the "
                    "client id and secret and the secret's expiry"
                ),
                code="authentication_failed",
            )
        return str(result["access_token"])

    def forget_token(self) -> None:
        """Drop the cached token (Graph refused it) so the next call asks Entra ID again."""
        if self._app is None:
            return
        cache = self._app.token_cache
        for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            cache.remove_at(entry)

    # --- requests ---------------------------------------------------------------------------

    def url(self, link: str) -> str:
        """An absolute URL for a Graph path (``/drives/...``) or a link Graph returned; a link
        outside ``graph_url`` is refused so the token never leaves for another host."""
        if link.startswith("/"):
            return self.base + link
        url = httpx.URL(link)
        base = self._base_url
        if (
            url.scheme != base.scheme
            or url.host != base.host
            or url.port != base.port
            or url.userinfo
            or not url.path.startswith(base.path.rstrip("/") + "/")
        ):
            raise ConnectorError(
                f"refusing to follow a link outside {self.base}: {url.scheme}://{url.host}"
                f"{url.path}",
                code="foreign_link",
            )
        return link

    def send(
        self,
        method: str,
        link: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        authenticated: bool = True,
        stream: bool = False,
    ) -> httpx.Response:
        """Send one request, retrying 429/503 (honouring ``Retry-After``) and transport errors
        up to ``retries`` times, and a 401 once with a fresh token; errors are raised."""
        url = self.url(link) if authenticated else link
        attempt = 0
        refreshed = False
        while True:
            request_headers = dict(headers or {})
            if authenticated:
                request_headers["Authorization"] = f"Bearer {self.token()}"
            request = self._http.build_request(
                method, url, params=params, headers=request_headers, json=json
            )
            try:
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                if attempt >= self._retries:
                    raise ConnectorError(
                        f"cannot reach {request.url.host} ({type(exc).__name__}) after "
                        f"{attempt + 1} attempts",
                        code="unavailable",
                    ) from None
                attempt += 1
                time.sleep(_backoff(attempt))
                continue
            status = response.status_code
            if status == 401 and authenticated and not refreshed:
                response.close()
                self.forget_token()
                refreshed = True
                continue
            if status in TRANSIENT:
                wait = retry_after(response.headers)
                response.close()
                if attempt >= self._retries:
                    raise ConnectorError(
                        f"{request.url.host} still answers {status} after {attempt + 1} "
                        "attempts; try again later",
                        code=TRANSIENT[status],
                    )
                attempt += 1
                time.sleep(_backoff(attempt) if wait is None else wait)
                continue
            if status >= 400 and status not in REDIRECTS:
                raise _status_error(method, request, response)
            return response

    def get_json(
        self,
        link: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self.send("GET", link, params=params, headers=headers)
        return _json_object(response)

    def pages(self, link: str, *, params: Mapping[str, str] | None = None) -> Iterator[Any]:
        """The ``value`` entries of a collection, following ``@odata.nextLink``."""
        page = self.get_json(link, params=params)
        while True:
            yield from page.get("value", [])
            next_link = page.get("@odata.nextLink")
            if not next_link:
                return
            page = self.get_json(str(next_link))

    def batch_get(self, paths: Sequence[str]) -> list[Reply]:
        """GET every path through ``$batch`` (20 a request); answers throttled inside the batch
        are sent again after their ``Retry-After``. One reply per path, in order."""
        replies: dict[int, Reply] = {}
        pending = list(range(len(paths)))
        attempt = 0
        while pending:
            for start in range(0, len(pending), BATCH_SIZE):
                chunk = pending[start : start + BATCH_SIZE]
                body = {
                    "requests": [{"id": str(i), "method": "GET", "url": paths[i]} for i in chunk]
                }
                answer = _json_object(self.send("POST", "/$batch", json=body))
                for entry in answer.get("responses", []):
                    replies[int(entry["id"])] = Reply(
                        status=int(entry["status"]),
                        body=entry.get("body") or {},
                        headers={
                            k.lower(): str(v) for k, v in (entry.get("headers") or {}).items()
                        },
                    )
                missing = [i for i in chunk if i not in replies]
                if missing:
                    raise ConnectorError(
                        f"Graph's $batch answer lacks {len(missing)} of its responses",
                        code="unavailable",
                    )
            throttled = [i for i in pending if replies[i].status in TRANSIENT]
            if not throttled:
                break
            if attempt >= self._retries:
                status = replies[throttled[0]].status
                raise ConnectorError(
                    f"Graph still answers {status} to {len(throttled)} batched requests after "
                    f"{attempt + 1} attempts; try again later",
                    code=TRANSIENT[status],
                )
            attempt += 1
            waits = [retry_after(replies[i].headers) for i in throttled]
            known = [w for w in waits if w is not None]
            time.sleep(max(known) if known else _backoff(attempt))
            pending = throttled
        return [replies[i] for i in range(len(paths))]

    def download(self, link: str, *, max_bytes: int) -> bytes:
        """The content behind ``link`` (Graph answers a redirect to a pre-authenticated URL,
        fetched without our token), read up to ``max_bytes``."""
        response = self.send("GET", link, stream=True)
        for _ in range(5):
            if response.status_code not in REDIRECTS:
                break
            location = response.headers.get("location")
            response.close()
            if not location:
                raise ConnectorError("Graph redirected a download nowhere", code="unavailable")
            target = str(response.url.join(location))
            response = self.send("GET", target, authenticated=False, stream=True)
        else:
            response.close()
            raise ConnectorError("too many redirects downloading a file", code="unavailable")
        try:
            return _read_limited(response, max_bytes)
        except httpx.HTTPError as exc:
            raise ConnectorError(
                f"the download from {response.url.host} broke ({type(exc).__name__})",
                code="unavailable",
            ) from None
        finally:
            response.close()


class _MsalHttp:
    """The requests session msal uses, with our timeout and certificate check on every call
    (msal passes neither; requests lets ``REQUESTS_CA_BUNDLE`` override a session's
    ``verify``, not a call's)."""

    def __init__(self, session: requests.Session, timeout: float, verify: bool | str) -> None:
        self._session = session
        self._timeout = timeout
        self._verify = verify

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        kwargs.setdefault("verify", self._verify)
        return self._session.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        kwargs.setdefault("verify", self._verify)
        return self._session.post(url, **kwargs)

    def close(self) -> None:
        self._session.close()


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds ``Retry-After`` asks for (a number or an HTTP date), capped at ``MAX_WAIT``."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), MAX_WAIT)


def _backoff(attempt: int) -> float:
    return min(0.2 * (1 << (attempt - 1)), MAX_WAIT)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConnectorError(
            f"Graph answered {response.request.url.path} with something other than a JSON object",
            code="unavailable",
        )
    return data


def _status_error(method: str, request: httpx.Request, response: httpx.Response) -> Exception:
    response.read()
    code = message = ""
    try:
        error = response.json().get("error", {})
        code, message = str(error.get("code", "")), str(error.get("message", ""))
    except (ValueError, AttributeError):
        pass
    response.close()
    detail = f" ({code}: {message})" if code or message else ""
    status = response.status_code
    return GraphStatusError(
        f"{request.url.host} answered {status}{detail} to {method} {request.url.path}",
        status=response.status_code,
        graph_code=code,
    )


def _read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ItemTooLarge(f"the file has {declared} bytes, over the limit of {max_bytes}")
    content = bytearray()
    for chunk in response.iter_bytes():
        content += chunk
        if len(content) > max_bytes:
            raise ItemTooLarge(f"the file has over {max_bytes} bytes, the limit")
    return bytes(content)
