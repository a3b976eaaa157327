"""The SharePoint connector against a local fake of Entra ID and Microsoft Graph served over
HTTPS (``graph_fake``); ``httpx.MockTransport`` only for corners the fake cannot reach (a
Graph that redirects links elsewhere, refuses every token, or drops connections)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from gouvernail.insight.connectors import (
    Batch,
    ConnectorError,
    Grant,
    ItemTooLarge,
    RemoteItem,
    Removed,
)
from gouvernail.insight.sharepoint import SharePointConnector
from graph_fake import (
    FakeGraph,
    application,
    group,
    link,
    site_group,
    site_user,
    user,
)

SITE_GROUPS = (
    Grant("group", "Market Studies Members"),
    Grant("group", "Market Studies Owners"),
    Grant("group", "Market Studies Visitors"),
)
LIBRARY = [
    "Reports/2024/q1.docx",
    "Reports/2024/q2.docx",
    "Reports/summary.pdf",
    "Notes/meeting minutes.txt",
    "Notes/ideas.md",
    "readme.md",
    "budget.xlsx",
]

MOCK_GRAPH = "https://graph.test/v1.0"

Connect = Callable[..., SharePointConnector]


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    with FakeGraph(libraries=("Documents", "Archives")) as fake:
        yield fake
    assert fake.violations == []


@pytest.fixture
def connect(graph: FakeGraph) -> Iterator[Connect]:
    made: list[SharePointConnector] = []

    def make(**overrides: Any) -> SharePointConnector:
        connector = SharePointConnector(**graph.settings(**overrides))
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def library(graph: FakeGraph) -> FakeGraph:
    for path in LIBRARY:
        graph.add_file(path, f"content of {path}".encode())
    return graph


def sync(connector: SharePointConnector, cursor: str | None = None) -> list[Batch]:
    return list(connector.changes(cursor))


def listed(batches: list[Batch]) -> dict[str, RemoteItem]:
    return {c.key: c for b in batches for c in b.changes if isinstance(c, RemoteItem)}


def removed(batches: list[Batch]) -> set[str]:
    return {c.key for b in batches for c in b.changes if isinstance(c, Removed)}


# --- enumeration ---------------------------------------------------------------------------


def test_a_first_sync_lists_every_file_page_by_page(library: FakeGraph, connect: Connect) -> None:
    batches = sync(connect(page_size=3))

    assert len(batches) >= 4
    assert [b.complete for b in batches] == [False] * (len(batches) - 1) + [True]
    for batch in batches[:-1]:
        assert batch.cursor is not None
        assert batch.cursor.startswith(f"full:{library.graph_url}/drives/")
    assert batches[-1].cursor is not None
    assert batches[-1].cursor.startswith(f"{library.graph_url}/drives/")
    keys = [c.key for b in batches for c in b.changes]
    assert sorted(keys) == sorted(library.key(p) for p in LIBRARY)  # no folder, no duplicate

    q1 = listed(batches)[library.key("Reports/2024/q1.docx")]
    assert q1.path == "Market Studies/Documents/Reports/2024/q1.docx"
    assert q1.name == "q1.docx"
    assert q1.size == len(b"content of Reports/2024/q1.docx")
    assert q1.version.startswith('"c:{')
    assert q1.modified_at.tzinfo is not None
    assert q1.grants == SITE_GROUPS
    assert (
        q1.url
        == "https://contoso.sharepoint.com/sites/market-studies/Documents/Reports/2024/q1.docx"
    )
    minutes = listed(batches)[library.key("Notes/meeting minutes.txt")]
    assert minutes.path == "Market Studies/Documents/Notes/meeting minutes.txt"
    assert listed(batches)[library.key("readme.md")].path == "Market Studies/Documents/readme.md"

    for call in library.graph_calls("/root/delta"):
        assert call.headers["prefer"] == (
            "deltashowremovedasdeleted, deltatraversepermissiongaps, deltashowsharingchanges"
        )
    assert library.graph_calls("/root/delta")[0].query == {"$top": "3"}


def test_a_first_sync_costs_few_requests(graph: FakeGraph, connect: Connect) -> None:
    for n in range(45):
        graph.add_file(f"Folder {n % 3}/file {n}.txt", b"x")

    batches = sync(connect())

    assert len(listed(batches)) == 45
    sent = [r for r in graph.requests if not r.batched]
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in sent] == [
        ("GET", "openid-configuration"),
        ("POST", "token"),
        ("GET", "market-studies"),  # the site
        ("GET", "drive"),
        ("GET", "delta"),
        ("POST", "$batch"),  # permissions of 20 files a request
        ("POST", "$batch"),
        ("POST", "$batch"),
    ]
    assert len(graph.graph_calls("/permissions")) == 45


def test_a_sync_resumes_after_a_crash_without_losing_or_repeating(
    library: FakeGraph, connect: Connect
) -> None:
    first = connect(page_size=2)
    changes = first.changes(None)
    before = [next(changes), next(changes), next(changes)]
    changes.close()  # the process dies here
    first.close()

    after = sync(connect(page_size=2), before[-1].cursor)

    keys_before = [c.key for b in before for c in b.changes]
    keys_after = [c.key for b in after for c in b.changes]
    assert keys_before
    assert keys_after
    assert not set(keys_before) & set(keys_after)
    assert sorted(keys_before + keys_after) == sorted(library.key(p) for p in LIBRARY)
    assert after[-1].complete  # still the end of a full enumeration
    paths = {item.path for item in listed(before + after).values()}
    assert paths == {f"Market Studies/Documents/{p}" for p in LIBRARY}


def test_incremental_changes_add_modify_delete_move(library: FakeGraph, connect: Connect) -> None:
    connector = connect()
    initial = sync(connector)
    readme_before = listed(initial)[library.key("readme.md")]

    library.add_file("Reports/new.docx", b"new")
    library.update_file("readme.md", b"changed")
    minutes = library.key("Notes/meeting minutes.txt")
    library.delete("Notes/meeting minutes.txt")
    library.move("Reports/summary.pdf", "Archive/2023/summary.pdf")
    batches = sync(connector, initial[-1].cursor)

    assert not any(b.complete for b in batches)
    assert batches[-1].cursor is not None
    assert batches[-1].cursor.startswith(library.graph_url)
    items = listed(batches)
    assert set(items) == {
        library.key("Reports/new.docx"),
        library.key("readme.md"),
        library.key("Archive/2023/summary.pdf"),
    }
    assert removed(batches) == {minutes}
    assert items[library.key("readme.md")].version != readme_before.version
    assert items[library.key("readme.md")].size == len(b"changed")
    moved = items[library.key("Archive/2023/summary.pdf")]
    assert moved.path == "Market Studies/Documents/Archive/2023/summary.pdf"

    quiet = sync(connector, batches[-1].cursor)
    assert [b.changes for b in quiet] == [()]


def test_deleting_a_folder_removes_its_files(library: FakeGraph, connect: Connect) -> None:
    connector = connect()
    initial = sync(connector)
    keys = {library.key("Reports/2024/q1.docx"), library.key("Reports/2024/q2.docx")}

    library.delete("Reports/2024")

    assert keys <= removed(sync(connector, initial[-1].cursor))


# --- permissions ---------------------------------------------------------------------------


def test_a_direct_share_and_its_removal_come_back_as_changes(
    library: FakeGraph, connect: Connect
) -> None:
    connector = connect()
    cursor = sync(connector)[-1].cursor
    key = library.key("budget.xlsx")

    [permission] = library.share("budget.xlsx", user("Bob.Durand@Contoso.com"))
    shared = sync(connector, cursor)
    assert set(listed(shared)) == {key}
    assert listed(shared)[key].grants == (*SITE_GROUPS, Grant("user", "bob.durand@contoso.com"))

    library.unshare("budget.xlsx", permission)
    unshared = sync(connector, shared[-1].cursor)
    assert listed(unshared)[key].grants == SITE_GROUPS


def test_a_folder_share_reaches_every_file_below_it(library: FakeGraph, connect: Connect) -> None:
    connector = connect(page_size=2)
    cursor = sync(connector)[-1].cursor
    below = {library.key(p) for p in LIBRARY if p.startswith("Reports/")}

    [permission] = library.share("Reports", group("Finance Team"))
    shared = sync(connector, cursor)

    items = listed(shared)
    assert set(items) == below
    for item in items.values():
        assert Grant("group", "Finance Team") in (item.grants or ())
    assert library.graph_calls("/children")  # the folder was listed again
    relisted = next(b for b in shared if b.changes)
    assert relisted.cursor == cursor  # a crash while re-listing starts the page over

    library.set_inheritance("Reports/2024", False)  # keeps Finance Team: SharePoint copies
    library.unshare("Reports", permission)
    unshared = listed(sync(connector, shared[-1].cursor))
    assert unshared[library.key("Reports/summary.pdf")].grants == SITE_GROUPS
    q1 = unshared[library.key("Reports/2024/q1.docx")]
    assert Grant("group", "Finance Team") in (q1.grants or ())


GRANT_CASES: dict[str, tuple[dict[str, Any], tuple[Grant, ...] | None]] = {
    "user": (user("Alice.Martin@Contoso.com"), (Grant("user", "alice.martin@contoso.com"),)),
    "user as owner": (
        user("erin@contoso.com", roles=("owner",)),
        (Grant("user", "erin@contoso.com"),),
    ),
    "site user by claim": (
        site_user("i:0#.f|membership|Bob@Contoso.com", "Bob"),
        (Grant("user", "bob@contoso.com"),),
    ),
    "everyone except external users": (
        site_user(
            "c:0-.f|rolemanager|spo-grid-all-users/8f2e6c1a", "Everyone except external users"
        ),
        (Grant("everyone"),),
    ),
    "everyone": (site_user("c:0(.s|true", "Everyone"), (Grant("everyone"),)),
    "entra group": (group("Finance Team"), (Grant("group", "Finance Team"),)),
    "site group": (
        site_group("Market Studies Visitors"),
        (Grant("group", "Market Studies Visitors"),),
    ),
    "organisation link": (link("organization"), (Grant("everyone"),)),
    "anonymous link": (link("anonymous", kind="edit"), (Grant("everyone"),)),
    "link for people": (
        link("users", "carol@contoso.com", "Dan@Contoso.com"),
        (Grant("user", "carol@contoso.com"), Grant("user", "dan@contoso.com")),
    ),
    "link sent to nobody yet": (link("users"), ()),
    "application": (application("Backup service"), ()),
    "no role": ({"roles": [], "grantedToV2": {"siteGroup": {"displayName": "Viewers"}}}, ()),
    "security group by claim only": (site_user("c:0t.c|tenant|4f1a9e", ""), None),
    "group without a name": ({"roles": ["read"], "grantedToV2": {"siteGroup": {"id": "3"}}}, None),
    "nobody": ({"roles": ["read"]}, None),
}


def test_permissions_map_to_grants(graph: FakeGraph, connect: Connect) -> None:
    for name, (permission, _) in GRANT_CASES.items():
        graph.add_file(f"cases/{name}.txt", b"x", permissions=(permission,), inherits=False)

    items = listed(sync(connect()))

    found = {name: items[graph.key(f"cases/{name}.txt")].grants for name in GRANT_CASES}
    assert found == {name: expected for name, (_, expected) in GRANT_CASES.items()}


def test_unreadable_permissions_leave_an_item_unresolved(
    library: FakeGraph, connect: Connect
) -> None:
    library.fail_permissions("readme.md", 403)
    library.fail_permissions("budget.xlsx", 404)

    items = listed(sync(connect()))

    assert items[library.key("readme.md")].grants is None
    assert items[library.key("budget.xlsx")].grants is None
    assert items[library.key("Reports/summary.pdf")].grants == SITE_GROUPS


def test_a_failing_permission_service_fails_the_sync(library: FakeGraph, connect: Connect) -> None:
    library.fail_permissions("readme.md", 500)

    with pytest.raises(ConnectorError) as raised:
        sync(connect())

    assert raised.value.code == "unavailable"


def test_permissions_are_read_across_pages(graph: FakeGraph, connect: Connect) -> None:
    graph.permissions_page_size = 2
    people = [user(f"reader{n}@contoso.com") for n in range(4)]
    graph.add_file("shared.docx", b"x", permissions=tuple(people))

    [item] = listed(sync(connect())).values()

    assert item.grants == (
        *SITE_GROUPS,
        *(Grant("user", f"reader{n}@contoso.com") for n in range(4)),
    )
    assert any(not r.batched for r in graph.graph_calls("/permissions"))  # a next page


# --- throttling, resync, authentication ----------------------------------------------------


def test_throttling_is_retried_after_retry_after(library: FakeGraph, connect: Connect) -> None:
    library.throttle(1, path_contains="/root/delta", retry_after="1")
    library.throttle(1, status=503, path_contains="/root/delta", retry_after="0")
    library.throttle(3, path_contains="/permissions", retry_after="0")  # inside the $batch
    started = time.monotonic()

    items = listed(sync(connect()))

    assert time.monotonic() - started >= 1.0
    assert len(items) == len(LIBRARY)
    assert all(item.grants == SITE_GROUPS for item in items.values())
    assert len(library.graph_calls("/root/delta")) == 3
    assert len([r for r in library.requests if r.path == "/v1.0/$batch"]) == 2


@pytest.mark.parametrize(("status", "code"), [(429, "throttled"), (503, "unavailable")])
def test_throttling_past_the_retries_fails(
    library: FakeGraph, connect: Connect, status: int, code: str
) -> None:
    library.throttle(10, status=status, path_contains="/root/delta", retry_after="0")

    with pytest.raises(ConnectorError) as raised:
        sync(connect(retries=2))

    assert raised.value.code == code
    assert len(library.graph_calls("/root/delta")) == 3


def test_throttled_permissions_past_the_retries_fail(library: FakeGraph, connect: Connect) -> None:
    library.throttle(100, path_contains="/permissions", retry_after="0")

    with pytest.raises(ConnectorError) as raised:
        sync(connect(retries=1))

    assert raised.value.code == "throttled"


def test_a_retry_after_date_is_honoured(graph: FakeGraph, connect: Connect) -> None:
    seen: list[httpx.Request] = []
    answers = iter([429])

    def throttled_once(request: httpx.Request) -> httpx.Response:
        if next(answers, None):
            return httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        page = {"value": [], "@odata.deltaLink": f"{MOCK_GRAPH}/drives/b!drive/root/delta?token=1"}
        return httpx.Response(200, json=page)

    connector = connect(graph_url=MOCK_GRAPH, transport=mock_graph(throttled_once, seen))
    started = time.monotonic()
    [batch] = sync(connector)

    assert batch.complete
    assert time.monotonic() - started < 1  # a date in the past: no wait
    assert len([r for r in seen if r.url.path.endswith("/delta")]) == 2


def test_an_expired_delta_link_starts_a_full_enumeration(
    library: FakeGraph, connect: Connect
) -> None:
    connector = connect(page_size=3)
    cursor = sync(connector)[-1].cursor
    library.delete("budget.xlsx")
    library.add_file("late.txt", b"late")
    library.expire_delta_tokens()

    batches = sync(connector, cursor)

    assert batches[0] == Batch((), None)  # from scratch, should the sync stop here
    assert batches[-1].complete
    assert all(b.cursor is not None and b.cursor.startswith("full:") for b in batches[1:-1])
    expected = [p for p in LIBRARY if p != "budget.xlsx"] + ["late.txt"]
    assert set(listed(batches)) == {library.key(p) for p in expected}
    assert not sync(connector, batches[-1].cursor)[-1].complete


def test_a_refused_secret_is_never_shown(graph: FakeGraph, connect: Connect) -> None:
    secret = "Wr0ng~secret.value-123"
    connector = connect(client_secret=secret)

    with capture_logs() as logs, pytest.raises(ConnectorError) as raised:
        sync(connector)

    error = raised.value
    assert error.code == "authentication_failed"
    assert "invalid_client" in error.message
    assert graph.client_id in error.message
    for text in (str(error), repr(error), repr(error.args), repr(logs), repr(connector)):
        assert secret not in text
    assert error.__cause__ is None
    assert graph.graph_calls() == []


def test_an_unknown_tenant_is_an_authentication_failure(graph: FakeGraph, connect: Connect) -> None:
    with pytest.raises(ConnectorError) as raised:
        sync(connect(tenant_id="00000000-0000-0000-0000-000000000000"))

    assert raised.value.code == "authentication_failed"
    assert graph.client_secret not in str(raised.value)


def test_an_unreachable_entra_id_is_unavailable(graph: FakeGraph, connect: Connect) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(ConnectorError) as raised:
        sync(connect(authority_host=f"https://127.0.0.1:{closed_port}"))

    assert raised.value.code == "unavailable"


def test_an_authority_without_tls_is_refused(graph: FakeGraph) -> None:
    with pytest.raises(ConnectorError) as raised:
        SharePointConnector(**graph.settings(authority_host="http://login.example"))

    assert raised.value.code == "invalid_settings"


def test_a_refused_token_is_renewed_once(library: FakeGraph, connect: Connect) -> None:
    connector = connect()
    cursor = sync(connector)[-1].cursor
    assert len(library.token_calls()) == 1

    library.revoke_tokens()
    library.add_file("after.txt", b"x")
    items = listed(sync(connector, cursor))

    assert set(items) == {library.key("after.txt")}
    assert len(library.token_calls()) == 2


def test_the_secret_stays_out_of_repr(graph: FakeGraph, connect: Connect) -> None:
    connector = connect()

    assert graph.client_secret not in repr(connector)
    assert "market-studies" in repr(connector)
    assert connector.kind == "sharepoint"


# --- links ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "https://evil.example/v1.0/drives/b!x/root/delta?token=abc",
        "full:https://evil.example/v1.0/drives/b!x/root/delta?token=abc",
        "{graph}.evil.example/drives/b!x/root/delta?token=abc",
        "{graph}evil/drives/b!x/root/delta",
        "https://user@{host}/v1.0/drives/b!x/root/delta",
        "http://{host}/v1.0/drives/b!x/root/delta",
    ],
)
def test_a_cursor_outside_graph_is_refused(graph: FakeGraph, connect: Connect, cursor: str) -> None:
    host = graph.url.removeprefix("https://")
    foreign = cursor.format(graph=graph.graph_url, host=host)

    with pytest.raises(ConnectorError) as raised:
        sync(connect(), foreign)

    assert raised.value.code == "foreign_link"
    assert graph.requests == []  # not even a token was asked for


def mock_graph(
    handle: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request]
) -> httpx.MockTransport:
    """A Graph at https://graph.test/v1.0 knowing the site and its drive; ``handle`` answers
    the rest."""

    def route(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path.endswith(":/sites/market-studies"):
            return httpx.Response(200, json={"id": "site-1", "displayName": "Market Studies"})
        if path.endswith("/sites/site-1/drive"):
            return httpx.Response(200, json={"id": "b!drive", "name": "Documents"})
        return handle(request)

    return httpx.MockTransport(route)


def test_a_next_link_outside_graph_is_refused(graph: FakeGraph, connect: Connect) -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        page = {
            "value": [],
            "@odata.nextLink": "https://attacker.test/v1.0/drives/b!drive/root/delta",
        }
        return httpx.Response(200, json=page)

    connector = connect(graph_url=MOCK_GRAPH, transport=mock_graph(handle, seen))
    with pytest.raises(ConnectorError) as raised:
        sync(connector)

    assert raised.value.code == "foreign_link"
    assert {r.url.host for r in seen} == {"graph.test"}


def test_graph_refusing_every_token_is_an_authentication_failure(
    graph: FakeGraph, connect: Connect
) -> None:
    seen: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"error": {"code": "InvalidAuthenticationToken", "message": "Token expired."}}
        return httpx.Response(401, json=body)

    connector = connect(graph_url=MOCK_GRAPH, transport=httpx.MockTransport(refuse))
    with pytest.raises(ConnectorError) as raised:
        sync(connector)

    assert raised.value.code == "authentication_failed"
    assert "InvalidAuthenticationToken" in raised.value.message
    assert len(seen) == 2  # once more with a fresh token
    assert len(graph.token_calls()) == 2


def test_dropped_connections_are_retried(graph: FakeGraph, connect: Connect) -> None:
    seen: list[httpx.Request] = []
    failures = iter([True, True])

    def flaky(request: httpx.Request) -> httpx.Response:
        if next(failures, False):
            raise httpx.ConnectError("connection reset", request=request)
        page = {
            "value": [],
            "@odata.deltaLink": f"{MOCK_GRAPH}/drives/b!drive/root/delta?token=1",
        }
        return httpx.Response(200, json=page)

    connector = connect(graph_url=MOCK_GRAPH, transport=mock_graph(flaky, seen))
    [batch] = sync(connector)

    assert batch.complete
    assert len([r for r in seen if r.url.path.endswith("/delta")]) == 3


def test_an_unreachable_graph_is_unavailable(graph: FakeGraph, connect: Connect) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    connector = connect(graph_url=MOCK_GRAPH, transport=httpx.MockTransport(down), retries=1)
    with pytest.raises(ConnectorError) as raised:
        sync(connector)

    assert raised.value.code == "unavailable"


# --- site and library ----------------------------------------------------------------------


def test_a_library_is_picked_by_name(graph: FakeGraph, connect: Connect) -> None:
    graph.add_file("old.docx", b"x", library="Archives")
    graph.add_file("current.docx", b"x")

    items = listed(sync(connect(library="archives")))

    assert [i.path for i in items.values()] == ["Market Studies/Archives/old.docx"]


def test_an_unknown_library_names_those_available(graph: FakeGraph, connect: Connect) -> None:
    with pytest.raises(ConnectorError) as raised:
        sync(connect(library="Contracts"))

    assert raised.value.code == "not_found"
    assert "Archives, Documents" in raised.value.message


def test_a_site_can_be_named_by_its_id(graph: FakeGraph, connect: Connect) -> None:
    graph.add_file("a.txt", b"x")

    items = listed(sync(connect(site=graph.site_id)))

    assert [i.path for i in items.values()] == ["Market Studies/Documents/a.txt"]


# --- content -------------------------------------------------------------------------------


def test_fetch_follows_the_download_url_without_the_token(
    library: FakeGraph, connect: Connect
) -> None:
    connector = connect()
    item = listed(sync(connector))[library.key("Reports/2024/q1.docx")]

    content = connector.fetch(item, max_bytes=1000)

    assert content == b"content of Reports/2024/q1.docx"
    [graph_call] = library.graph_calls("/content")
    assert graph_call.headers["authorization"].startswith("Bearer ")
    [download] = [r for r in library.requests if r.path.startswith("/_layouts/")]
    assert "authorization" not in download.headers


@pytest.mark.parametrize("chunked", [False, True])
def test_fetch_stops_past_the_size_limit(graph: FakeGraph, connect: Connect, chunked: bool) -> None:
    graph.chunked_downloads = chunked
    graph.add_file("big.bin", b"x" * 5000)
    connector = connect()
    [item] = listed(sync(connector)).values()

    assert connector.fetch(item, max_bytes=5000) == b"x" * 5000
    with pytest.raises(ItemTooLarge) as raised:
        connector.fetch(item, max_bytes=4999)

    assert raised.value.code == "too_large"


def test_fetching_a_deleted_item_fails(library: FakeGraph, connect: Connect) -> None:
    connector = connect()
    item = listed(sync(connector))[library.key("readme.md")]
    library.delete("readme.md")

    with pytest.raises(ConnectorError) as raised:
        connector.fetch(item, max_bytes=1000)

    assert raised.value.code == "not_found"


def test_fetching_a_foreign_key_fails(graph: FakeGraph, connect: Connect) -> None:
    item = RemoteItem(
        key="Reports/q1.docx",
        path="Reports/q1.docx",
        name="q1.docx",
        modified_at=datetime(2025, 1, 1, tzinfo=UTC),
        size=1,
        version="1",
        grants=(),
    )

    with pytest.raises(ConnectorError) as raised:
        connect().fetch(item, max_bytes=10)

    assert raised.value.code == "not_found"
    assert graph.requests == []


def test_debug_logs_never_hold_the_secret(
    library: FakeGraph, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    with capture_logs() as logs:
        sync(connect())

    assert caplog.records  # msal and the HTTP clients did log
    assert library.client_secret not in caplog.text
    assert library.client_secret not in repr(logs)
