"""The HTTP transport of ``Upstreams``: an ``httpx.AsyncBaseTransport`` over aiohttp.

Why not httpx's own ``AsyncHTTPTransport``: httpcore's connection pool polls every pooled
connection (``is_socket_readable``) on each request, under a lock; with the GIL contended by
the inspection threads this was about 20 % of the gateway's CPU in profiles, and swapping in
aiohttp took the benchmark from 211 to 469 requests per second. aiohttp's connector learns
that a pooled connection was closed from the event loop (``connection_lost``) and checks
nothing per request.

Why keep httpx's types: ``Upstreams`` builds ``httpx.Request`` objects and reads
``httpx.Response`` objects (content decoding, ``aiter_lines`` for server-sent events), and the
tests plug ``httpx.MockTransport`` into it; so only the transport changes.

What this transport does, and how it maps onto httpx:

* one ``aiohttp.ClientSession`` per transport, opened on the first request inside the running
  event loop (an aiohttp session belongs to one loop) and reopened after ``aclose()``; no
  cookies, no redirects, no environment (proxies, netrc), TLS verified against certifi's
  bundle as httpx does (``httpx.create_ssl_context``);
* the request goes out with exactly the headers of the ``httpx.Request`` (aiohttp adds no
  ``User-Agent``, ``Accept``, ``Accept-Encoding`` or ``Content-Type`` of its own) and its body,
  which must have been read (``request.content``; ``Upstreams`` always sends bytes);
* the answer's body is passed through undecoded, for httpx to decode from the headers;
* timeouts from ``request.extensions["timeout"]``: ``connect`` bounds the socket connection,
  ``pool + connect`` the whole acquisition (waiting for a free slot, resolving, connecting),
  ``read`` each wait for data (the headers, then every chunk of the body); aiohttp has no
  write timeout, which is moot for the small bodies the gateway sends;
* errors become httpx's (the aiohttp error kept as ``__cause__``): timeouts while connecting
  ``ConnectTimeout``, while reading ``ReadTimeout``; a refused or unresolvable connection
  ``ConnectError``; a connection lost or cut ``ReadError``; a bad URL ``UnsupportedProtocol``;
  anything else aiohttp refuses (a malformed answer) ``RemoteProtocolError``. Messages name
  no host or address: ``Upstreams`` shows them to the caller.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from collections.abc import AsyncIterator, Mapping

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

# what aiohttp would add to a request that lacks it (httpx sends none of these by itself)
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


def _detail(error: BaseException, fallback: str) -> str:
    """A short description of an OS-level error, without the addresses aiohttp puts in."""
    if isinstance(error, ssl.SSLError):
        return f"TLS error: {error.reason or type(error).__name__}"
    if isinstance(error, socket.gaierror):
        return f"name resolution failed: {error.strerror or error.errno}"
    if isinstance(error, OSError) and isinstance(error.errno, int) and error.errno > 0:
        return f"[Errno {error.errno}] {os.strerror(error.errno)}"
    return fallback


def _mapped(error: Exception, request: httpx.Request) -> httpx.TransportError | None:
    """The httpx error for an aiohttp (or OS) error; ``None`` when it is none of those."""
    mapped: httpx.TransportError
    # order matters: ConnectionTimeoutError is a ServerTimeoutError is a TimeoutError, and
    # ClientConnectorError is a ClientOSError is an OSError
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        mapped = httpx.ConnectTimeout("timed out while connecting", request=request)
    elif isinstance(error, aiohttp.ServerTimeoutError):
        mapped = httpx.ReadTimeout("timed out while reading the answer", request=request)
    elif isinstance(error, aiohttp.ClientConnectorError):
        detail = _detail(error.os_error, "all connection attempts failed")
        mapped = httpx.ConnectError(detail, request=request)
    elif isinstance(error, aiohttp.ServerDisconnectedError):
        mapped = httpx.ReadError("the server closed the connection", request=request)
    elif isinstance(error, aiohttp.ClientOSError):
        mapped = httpx.ReadError(_detail(error, "connection error"), request=request)
    elif isinstance(error, aiohttp.ClientPayloadError):
        mapped = httpx.ReadError(f"incomplete answer: {error}", request=request)
    elif isinstance(error, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        mapped = httpx.UnsupportedProtocol("not an http:// or https:// URL", request=request)
    elif isinstance(error, aiohttp.ClientResponseError):  # its str() names the URL
        mapped = httpx.RemoteProtocolError(error.message or "bad answer", request=request)
    elif isinstance(error, aiohttp.ClientError):
        mapped = httpx.RemoteProtocolError(type(error).__name__, request=request)
    elif isinstance(error, TimeoutError):  # asyncio.TimeoutError too
        mapped = httpx.ReadTimeout("timed out while reading the answer", request=request)
    elif isinstance(error, OSError):
        mapped = httpx.ReadError(_detail(error, type(error).__name__), request=request)
    else:
        return None
    return mapped


class _Body(httpx.AsyncByteStream):
    """The answer's body as it arrives; closing it gives the connection back to the pool
    (or closes it when the body was not read to the end)."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except Exception as error:
            mapped = _mapped(error, self._request)
            if mapped is None:
                raise
            raise mapped from error

    async def aclose(self) -> None:
        response = self._response
        if response.content.at_eof():
            response.release()  # already back in the pool if the body ended cleanly
        else:
            response.close()  # unread bytes in flight: the connection cannot be reused


class AiohttpTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over a pool of at most ``max_connections`` connections, each kept open
    ``keepalive_expiry`` seconds when idle."""

    def __init__(self, *, max_connections: int, keepalive_expiry: float) -> None:
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry
        self._ssl = httpx.create_ssl_context(trust_env=False)
        self._ssl.set_alpn_protocols(["http/1.1"])
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timeouts: dict[tuple[float | None, ...], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        self._loop = asyncio.get_running_loop()
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._max_connections,
                keepalive_timeout=self._keepalive_expiry,
                ssl=self._ssl,
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            timeout=aiohttp.ClientTimeout(),
            auto_decompress=False,
            trust_env=False,
        )
        return self._session

    def _timeout(self, timeouts: Mapping[str, float | None] | None) -> aiohttp.ClientTimeout:
        timeouts = timeouts or {}
        connect, read, pool = (timeouts.get(key) for key in ("connect", "read", "pool"))
        key = (connect, read, pool)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None,
                connect=None if connect is None or pool is None else connect + pool,
                sock_connect=connect,
                sock_read=read,
            )
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session
        if session is None:
            session = self._open()
        elif self._loop is not asyncio.get_running_loop():
            raise RuntimeError("AiohttpTransport used from another event loop than its own")
        body = request.content
        try:
            url = URL(str(request.url), encoded=True)  # quoted by httpx: not again
            response = await session.request(
                request.method,
                url,
                headers=CIMultiDict(request.headers.multi_items()),
                data=body or None,
                allow_redirects=False,
                compress=False,
                timeout=self._timeout(request.extensions.get("timeout")),
            )
        except Exception as error:
            mapped = _mapped(error, request)
            if mapped is None:
                raise
            raise mapped from error
        version = response.version
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_Body(response, request),
            request=request,
            extensions={
                "http_version": (
                    f"HTTP/{version.major}.{version.minor}" if version else "HTTP/1.1"
                ).encode(),
                "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
            },
        )

    async def aclose(self) -> None:
        """Close every connection; a later request opens a new pool."""
        session, self._session, self._loop = self._session, None, None
        if session is not None:
            await session.close()
