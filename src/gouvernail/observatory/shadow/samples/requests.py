"""The requests of a sample log, each rendered once and drawn many times: the ordinary requests
(CONNECT tunnels, plain ``http://`` GETs through the cache, SSL-bumped GETs and POSTs) and eight
variants of a request to each AI service, a blocked service's answered by the proxy."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Final

from gouvernail.observatory.shadow.samples.hosts import Host, server_ip
from gouvernail.observatory.shadow.samples.services import ServiceSample

_PAGE_PATHS: Final = (
    "/",
    "/index.html",
    "/news/{word}-{n}",
    "/products/{n}",
    "/search?q={word}",
    "/static/js/app.{hex}.js",
    "/static/css/main.{hex}.css",
    "/images/{n}.jpg",
    "/img/logo.png",
    "/api/v2/items/{n}",
    "/favicon.ico",
    "/assets/{hex}.woff2",
    "/en/{word}/{word2}",
)
_POST_PATHS: Final = ("/api/v2/events", "/collect", "/api/v1/telemetry", "/login", "/graphql")
_AI_API_PATHS: Final = (
    "/v1/chat/completions",
    "/v1/messages",
    "/v1/embeddings",
    "/v1/responses",
    "/v1/models",
)
_AI_WEB_PATHS: Final = (
    "/api/conversation",
    "/backend-api/conversation",
    "/api/chat",
    "/api/upload",
    "/c/{hex}",
)
_MIME: Final = (
    (".js", "application/javascript"),
    (".css", "text/css"),
    (".jpg", "image/jpeg"),
    (".png", "image/png"),
    (".ico", "image/x-icon"),
    (".woff2", "font/woff2"),
    ("/api/", "application/json"),
)
_PATH_WORDS: Final = (
    "report", "budget", "team", "roadmap", "offer",
    "contact", "about", "meeting", "press", "careers",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Request:
    """A request as the generator renders it: what a line of any format says of it."""

    host: str
    ip: str  # the server's, "-" when the proxy answered itself
    category: str  # Zscaler's URL category and application
    app: str
    elapsed: int  # ms, as squid logs it
    method: str = "CONNECT"  # CONNECT, GET or POST
    scheme: str = ""  # http or https; none for CONNECT
    path: str = ""
    status: int = 200
    squid_code: str = "TCP_TUNNEL"  # TCP_MISS, TCP_HIT, TCP_DENIED...
    mime: str = "-"
    blocked: bool = False


def _elapsed(rng: random.Random, median: float) -> int:
    return min(3_600_000, int(rng.lognormvariate(math.log(median), 1.5)))


def _fill(path: str, rng: random.Random) -> str:
    if "{" not in path:
        return path
    return path.format(
        n=rng.randint(1, 99999),
        hex=f"{rng.getrandbits(32):08x}",
        word=rng.choice(_PATH_WORDS),
        word2=rng.choice(_PATH_WORDS),
    )


def _mime(path: str) -> str:
    for marker, mime in _MIME:
        if marker in path:
            return mime
    return "text/html"


_CACHE_RESULTS: Final = (
    (0.55, "TCP_MISS", 200),
    (0.75, "TCP_HIT", 200),
    (0.83, "TCP_MEM_HIT", 200),
    (0.90, "TCP_REFRESH_UNMODIFIED", 304),
    (0.95, "TCP_MISS", 302),
    (1.00, "TCP_MISS", 404),
)


def ordinary_request(host: Host, rng: random.Random) -> Request:
    """A request to an ordinary host: a CONNECT tunnel, or a plain ``http://`` GET (the host's
    ``plain`` share), or an SSL-bumped GET or POST."""
    r = rng.random()
    if r >= host.plain + 0.12:
        return Request(host.name, host.ip, host.category, host.app, _elapsed(rng, 900))
    if r < host.plain:  # plain http, through the cache
        path = _fill(rng.choice(_PAGE_PATHS), rng)
        c = rng.random()
        code, status = next((code, status) for edge, code, status in _CACHE_RESULTS if c < edge)
        hit = code.endswith("HIT")
        return Request(
            host.name,
            "-" if hit else host.ip,
            host.category,
            host.app,
            _elapsed(rng, 3 if hit else 80),
            method="GET",
            scheme="http",
            path=path,
            status=status,
            squid_code=code,
            mime=_mime(path),
        )
    if rng.random() < 0.8:  # SSL-bumped https
        method, path = "GET", _fill(rng.choice(_PAGE_PATHS), rng)
    else:
        method, path = "POST", rng.choice(_POST_PATHS)
    return Request(
        host.name,
        host.ip,
        host.category,
        host.app,
        _elapsed(rng, 120),
        method=method,
        scheme="https",
        path=path,
        squid_code="TCP_MISS",
        mime="application/json" if method == "POST" else _mime(path),
    )


def ai_requests(service: ServiceSample, blocked: bool, rng: random.Random) -> list[Request]:
    """Eight requests to a service: five CONNECT tunnels, two POSTs and a GET (SSL-bumped)."""
    host = service.host
    api_like = host.startswith("api.") or any(
        part in host for part in ("googleapis", "amazonaws", "azure", "openrouter")
    )
    paths = _AI_API_PATHS if api_like else _AI_WEB_PATHS
    shapes = [("CONNECT", "", "", "-", 8000)] * 5
    shapes += [("POST", "https", _fill(rng.choice(paths), rng), "text/event-stream", 6000)]
    shapes += [("POST", "https", _fill(rng.choice(paths), rng), "application/json", 2500)]
    shapes += [("GET", "https", "/", "text/html", 150)]
    requests: list[Request] = []
    for method, scheme, path, mime, median in shapes:
        request = Request(
            host,
            server_ip(host),
            "AI & ML Applications",
            service.id,
            _elapsed(rng, median),
            method=method,
            scheme=scheme,
            path=path,
            squid_code="TCP_TUNNEL" if method == "CONNECT" else "TCP_MISS",
            mime=mime,
        )
        if blocked:  # the proxy answers with its block page
            request = replace(request, ip="-", elapsed=_elapsed(rng, 1), status=403)
            request = replace(request, squid_code="TCP_DENIED", mime="text/html", blocked=True)
        requests.append(request)
    return requests
