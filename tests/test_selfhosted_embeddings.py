"""The self-hosted embedding model server (``/self-hosted/v1``), with the real bundled model
(all-MiniLM-L6-v2, loaded once for the module): OpenAI's wire format, vectors that mean
something, every refusal, loopback-only access, and the gateway calling it over "loopback" like
any self-hosted server, with the official OpenAI SDK on the caller's side."""

from __future__ import annotations

import asyncio
import base64
import shutil
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.gateway_helpers import World, install_gateway, sdk

from gouvernail.app import create_app
from gouvernail.gateway.models import RequestLog
from gouvernail.runtime import Runtime
from gouvernail.selfhosted import EmbeddingModel, Encoded
from gouvernail.settings import Settings

pytestmark = pytest.mark.anyio

SERVED = "all-minilm-l6-v2"
LOOPBACK = ("127.0.0.1", 1234)
ELSEWHERE = ("10.1.2.3", 1234)
BASE_URL = "http://127.0.0.1:8080/self-hosted/v1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: nothing here depends on the database backend."""
    target = tmp_path / "gouvernail.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


def _no_network(*args: Any, **kwargs: Any) -> None:
    raise AssertionError(f"network access while loading the model: {args}")


@pytest.fixture(scope="module")
def minilm() -> Iterator[EmbeddingModel]:
    """The real model, loaded once for the module (importing the libraries is the slow part),
    with every outbound connection and name resolution refused: it must load offline."""
    model = EmbeddingModel()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _no_network)
        patch.setattr(socket.socket, "connect_ex", _no_network)
        patch.setattr(socket, "getaddrinfo", _no_network)
        model.warm()
        assert model.encode(["offline"]).vectors.shape == (1, 384)
    yield model
    model.close()


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, minilm: EmbeddingModel
) -> Iterator[FastAPI]:
    """One app for the model server's tests: they neither read nor write the database, and
    building an app per case would cost a second each."""
    data = tmp_path_factory.mktemp("selfhosted")
    shutil.copy(sqlite_template, data / "gouvernail.db")
    settings = Settings(
        env="test",
        data_dir=data,
        database_url=f"sqlite:///{data / 'gouvernail.db'}",
        log_json=False,
        log_level="WARNING",
    )
    runtime = Runtime.build(settings)
    runtime.__dict__["self_hosted_embeddings"] = minilm
    yield create_app(settings, runtime)
    del runtime.__dict__["self_hosted_embeddings"]  # the module's model outlives the runtime
    runtime.close()


def client_of(app: FastAPI, peer: tuple[str, int] = LOOPBACK) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app, client=peer)
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080")


async def embed(app: FastAPI, **body: Any) -> dict[str, Any]:
    async with client_of(app) as client:
        response = await client.post("/self-hosted/v1/embeddings", json={"model": SERVED, **body})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    answer: dict[str, Any] = response.json()
    return answer


def vectors(answer: dict[str, Any]) -> np.ndarray[Any, np.dtype[np.float32]]:
    return np.array([item["embedding"] for item in answer["data"]], dtype=np.float32)


async def test_vectors_are_unit_length_and_mean_something(app: FastAPI) -> None:
    texts = ["the cat sits on the mat", "a cat is sitting on a rug", "quarterly revenue grew by 3%"]
    answer = await embed(app, input=texts)
    assert answer["object"] == "list"
    assert answer["model"] == SERVED
    assert [(d["object"], d["index"]) for d in answer["data"]] == [
        ("embedding", 0),
        ("embedding", 1),
        ("embedding", 2),
    ]
    found = vectors(answer)
    assert found.shape == (3, 384)
    assert np.allclose(np.linalg.norm(found, axis=1), 1.0, atol=1e-5)
    cat, rug, revenue = found
    assert float(cat @ rug) > 0.5 > float(cat @ revenue) + 0.3


async def test_a_single_string_is_one_vector(app: FastAPI) -> None:
    one = await embed(app, input="batch 42 was released on 3 March")
    many = await embed(app, input=["batch 42 was released on 3 March", "something else"])
    assert len(one["data"]) == 1
    assert np.allclose(vectors(one)[0], vectors(many)[0], atol=1e-5)  # batching changes nothing


async def test_base64_is_little_endian_float32_of_the_same_vectors(app: FastAPI) -> None:
    texts = ["lot 42 libéré le 3 mars", "release of batch 43"]
    floats = await embed(app, input=texts, encoding_format="float")
    packed = await embed(app, input=texts, encoding_format="base64", dimensions=384)
    assert [type(d["embedding"]) for d in packed["data"]] == [str, str]
    decoded = np.stack(
        [np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4") for d in packed["data"]]
    )
    assert decoded.shape == (2, 384)
    assert np.array_equal(decoded, vectors(floats)), "float32 written shortest reads back exact"
    assert packed["usage"] == floats["usage"]


async def test_usage_counts_the_tokens_the_model_read(app: FastAPI) -> None:
    short = await embed(app, input="hello world")  # [CLS] hello world [SEP]
    assert short["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    long = await embed(app, input=["hello world", "word " * 1000])  # cut at 256 tokens
    assert long["usage"] == {"prompt_tokens": 260, "total_tokens": 260}


async def test_concurrent_requests_are_encoded_together(
    app: FastAPI, minilm: EmbeddingModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [f"note {i}: the temperature of cold room {i} is within range" for i in range(8)]
    alone = [vectors(await embed(app, input=text))[0] for text in texts]
    batches: list[int] = []
    encode = minilm.encode

    def counted(batch: Sequence[str]) -> Encoded:
        batches.append(len(batch))
        return encode(batch)

    monkeypatch.setattr(minilm, "encode", counted)
    together = await asyncio.gather(*(embed(app, input=[text, "x"]) for text in texts))
    for text, expected, answer in zip(texts, alone, together, strict=True):
        assert np.allclose(vectors(answer)[0], expected, atol=1e-5), "each gets its own vectors"
        assert answer["usage"]["prompt_tokens"] == encode([text, "x"]).total_tokens
    assert sum(batches) == 16
    assert len(batches) < 8, "requests that waited were encoded in one batch"


async def test_a_failure_reaches_every_waiting_caller(
    app: FastAPI, minilm: EmbeddingModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(batch: Sequence[str]) -> Encoded:
        raise RuntimeError("out of memory")

    monkeypatch.setattr(minilm, "encode", broken)
    transport = httpx.ASGITransport(app, client=LOOPBACK, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8080") as client:
        answers = await asyncio.gather(
            *(
                client.post("/self-hosted/v1/embeddings", json={"model": SERVED, "input": "x"})
                for _ in range(3)
            )
        )
    assert [a.status_code for a in answers] == [500] * 3


async def test_models_lists_the_served_model(app: FastAPI) -> None:
    async with client_of(app) as client:
        response = await client.get("/self-hosted/v1/models")
    assert response.status_code == 200
    assert response.json() == {
        "object": "list",
        "data": [{"id": SERVED, "object": "model", "created": 0, "owned_by": "gouvernail"}],
    }


MANY = ["x"] * 257
REFUSALS: list[tuple[str, bytes, int, str, str | None, str]] = [
    ("invalid JSON", b"{not json", 400, "invalid_json", None, "not valid JSON"),
    ("not an object", b"[]", 400, "invalid_json", None, "JSON object"),
    ("no model", b'{"input": "x"}', 400, "invalid_request", "model", SERVED),
    (
        "another model",
        b'{"model": "gpt-4o", "input": "x"}',
        404,
        "model_not_found",
        "model",
        SERVED,
    ),
    ("no input", b'{"model": "%s"}', 400, "invalid_request", "input", "string or an array"),
    ("empty list", b'{"model": "%s", "input": []}', 400, "invalid_request", "input", "empty"),
    ("empty string", b'{"model": "%s", "input": ""}', 400, "invalid_request", "input", "empty"),
    (
        "an empty string in the list",
        b'{"model": "%s", "input": ["ok", ""]}',
        400,
        "invalid_request",
        "input",
        "input[1] is an empty string",
    ),
    ("a number", b'{"model": "%s", "input": 42}', 400, "invalid_request", "input", "string"),
    (
        "mixed",
        b'{"model": "%s", "input": ["a", 1]}',
        400,
        "invalid_request",
        "input",
        "array of strings",
    ),
    (
        "token ids",
        b'{"model": "%s", "input": [101, 7592, 102]}',
        400,
        "token_input_not_supported",
        "input",
        "text only",
    ),
    (
        "arrays of token ids",
        b'{"model": "%s", "input": [[101, 7592], [102]]}',
        400,
        "token_input_not_supported",
        "input",
        "text only",
    ),
    (
        "too many inputs",
        b'{"model": "%s", "input": ' + orjson.dumps(MANY) + b"}",
        400,
        "invalid_request",
        "input",
        "at most 256 per request",
    ),
    (
        "too long an input",
        b'{"model": "%s", "input": ["ok", "' + b"x" * 20001 + b'"]}',
        400,
        "invalid_request",
        "input",
        "input[1] has 20001 characters; at most 20000",
    ),
    (
        "unknown encoding",
        b'{"model": "%s", "input": "x", "encoding_format": "int8"}',
        400,
        "invalid_request",
        "encoding_format",
        "'float' or 'base64'",
    ),
    (
        "other dimensions",
        b'{"model": "%s", "input": "x", "dimensions": 256}',
        400,
        "invalid_request",
        "dimensions",
        "must be 384",
    ),
    (
        "dimensions as text",
        b'{"model": "%s", "input": "x", "dimensions": "384"}',
        400,
        "invalid_request",
        "dimensions",
        "must be 384",
    ),
    (
        "user not a string",
        b'{"model": "%s", "input": "x", "user": 7}',
        400,
        "invalid_request",
        "user",
        "user must be a string",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "code", "param", "message"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
async def test_refusals_say_what_to_fix_in_openai_shape(
    app: FastAPI, body: bytes, status: int, code: str, param: str | None, message: str
) -> None:
    async with client_of(app) as client:
        response = await client.post(
            "/self-hosted/v1/embeddings",
            content=body.replace(b"%s", SERVED.encode()),
            headers={"content-type": "application/json"},
        )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["code"], error["param"]) == (code, param)
    assert error["type"] == ("not_found_error" if status == 404 else "invalid_request_error")
    assert message in error["message"]


ADMITTED = [("127.0.0.1", 1), ("127.0.0.2", 1), ("::1", 1), ("::ffff:127.0.0.1", 1)]
REFUSED = [
    ELSEWHERE,
    ("192.168.1.10", 1),
    ("fe80::1", 1),
    ("::ffff:10.1.2.3", 1),
    ("testclient", 1),
]


@pytest.mark.parametrize("peer", ADMITTED)
async def test_loopback_callers_are_admitted(app: FastAPI, peer: tuple[str, int]) -> None:
    async with client_of(app, peer) as client:
        assert (await client.get("/self-hosted/v1/models")).status_code == 200


@pytest.mark.parametrize("peer", REFUSED)
async def test_other_callers_are_refused_whatever_their_headers(
    app: FastAPI, peer: tuple[str, int]
) -> None:
    spoofed = {"x-forwarded-for": "127.0.0.1", "x-real-ip": "127.0.0.1"}
    async with client_of(app, peer) as client:
        listed = await client.get("/self-hosted/v1/models", headers=spoofed)
        embedded = await client.post(
            "/self-hosted/v1/embeddings", json={"model": SERVED, "input": "x"}, headers=spoofed
        )
    for response in (listed, embedded):
        assert response.status_code == 403
        error = response.json()["error"]
        assert (error["type"], error["code"]) == ("permission_error", "loopback_only")
        assert "/v1" in error["message"]


async def test_not_mounted_when_disabled(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(self_hosted={"enabled": False})
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    try:
        async with client_of(app) as client:
            for path in ("/self-hosted/v1/models", "/self-hosted/v1/embeddings"):
                assert (await client.get(path)).status_code == 404
        assert "self_hosted_embeddings" not in runtime.__dict__, "nothing built, nothing loaded"
    finally:
        runtime.close()


async def test_closing_fails_the_requests_still_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    model = EmbeddingModel()  # never loaded: its encoding is replaced by a slow one
    started, release = threading.Event(), threading.Event()

    def slow(batch: Sequence[str]) -> Encoded:
        started.set()
        release.wait(5)
        return Encoded(np.zeros((len(batch), 384), np.float32), [1] * len(batch))

    monkeypatch.setattr(model, "encode", slow)
    first = asyncio.ensure_future(model.aencode(["a"]))
    assert await asyncio.to_thread(started.wait, 5)
    second = asyncio.ensure_future(model.aencode(["b"]))
    await asyncio.sleep(0)  # queued behind the first
    model.close()
    release.set()
    assert (await first).tokens == [1], "the batch under way finishes"
    with pytest.raises(RuntimeError, match="closed"):
        await second
    with pytest.raises(RuntimeError, match="closed"):
        await model.aencode(["c"])


def test_the_runtime_builds_the_model_lazily_and_frees_it(settings: Settings) -> None:
    runtime = Runtime.build(settings)
    model = runtime.self_hosted_embeddings
    assert not model.loaded, "torch is imported on the first request, not at start"
    runtime.close()
    with pytest.raises(RuntimeError, match="closed"):
        model.encode(["x"])


# --- through the gateway ----------------------------------------------------------------------


class Loopback(httpx.AsyncBaseTransport):
    """The gateway's upstream transport: calls to ``BASE_URL`` reach ``app`` in process, from
    127.0.0.1 as over real loopback; any other call fails the test."""

    def __init__(self, app: FastAPI) -> None:
        self.app = httpx.ASGITransport(app, client=LOOPBACK)
        self.calls: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not str(request.url).startswith(BASE_URL + "/"):
            raise AssertionError(f"unexpected upstream call: {request.url}")
        self.calls.append(request)
        return await self.app.handle_async_request(request)


def test_the_gateway_serves_the_bundled_model(
    settings: Settings, rt: Runtime, world: World, minilm: EmbeddingModel
) -> None:
    rt.__dict__["self_hosted_embeddings"] = minilm
    world.add_bundled_embeddings(BASE_URL)
    app = create_app(settings, rt)
    upstream = Loopback(app)
    install_gateway(rt, upstream)
    texts = ["the cat sits on the mat", "a cat is sitting on a rug", "quarterly revenue grew by 3%"]
    try:
        with TestClient(app, client=ELSEWHERE) as client:  # the caller is not on this machine
            openai = sdk(client, world.key("alice", "drafting"))
            packed = openai.embeddings.create(model="minilm-onprem", input=texts)  # base64
            floats = openai.embeddings.create(
                model="minilm-onprem", input=texts[0], encoding_format="float"
            )
    finally:
        del rt.__dict__["self_hosted_embeddings"]
    found = np.array([d.embedding for d in packed.data], dtype=np.float32)
    assert found.shape == (3, 384)
    assert float(found[0] @ found[1]) > float(found[0] @ found[2]) + 0.3
    assert np.allclose(floats.data[0].embedding, found[0], atol=1e-6)
    assert packed.model == SERVED
    assert [r.url.path for r in upstream.calls] == ["/self-hosted/v1/embeddings"] * 2
    assert orjson.loads(upstream.calls[0].content)["model"] == SERVED
    with rt.database.read() as session:
        logs = list(session.scalars(select(RequestLog).order_by(RequestLog.id)))
    assert [(log.operation, log.model, log.status, log.decision) for log in logs] == [
        ("embeddings", "minilm-onprem", 200, "allow"),
    ] * 2
    assert logs[0].prompt_tokens == packed.usage.prompt_tokens > 3 * 3
    assert logs[1].prompt_tokens == floats.usage.prompt_tokens


def test_the_bundled_model_is_warmed_up_only_when_the_inventory_serves_it(
    rt: Runtime, world: World
) -> None:
    from gouvernail.app import _serves_bundled

    assert not _serves_bundled(rt), "providers' models only: nothing to load at start-up"
    world.add_bundled_embeddings("http://127.0.0.1:8080/self-hosted/v1")
    assert _serves_bundled(rt)
