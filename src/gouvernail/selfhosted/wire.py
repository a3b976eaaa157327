"""OpenAI's ``/v1/embeddings`` and ``/v1/models`` wire format, for the self-hosted models.

``parse_embeddings`` checks a request body and returns what to encode, or raises a
``GatewayError`` (OpenAI's error shape) whose message says what to fix; the ``*_body``
functions write the answers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from gouvernail.gateway.errors import GatewayError, invalid
from gouvernail.selfhosted.embeddings import Encoded
from gouvernail.settings import SelfHostedSettings

EncodingFormat = Literal["float", "base64"]


@dataclass(frozen=True, slots=True)
class EmbeddingRequest:
    texts: list[str]
    encoding_format: EncodingFormat


def parse_embeddings(raw: bytes, settings: SelfHostedSettings, dimensions: int) -> EmbeddingRequest:
    """The texts to encode, or a 400 (404 for another model's name)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise invalid("the body is not valid JSON", code="invalid_json") from None
    if not isinstance(body, dict):
        raise invalid("the body must be a JSON object", code="invalid_json")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid(
            f"model is required: the name of the served model, {settings.embedding_model!r}",
            param="model",
        )
    if model != settings.embedding_model:
        raise GatewayError(
            404,
            f"model {model!r} is not served here; this server serves {settings.embedding_model!r}",
            code="model_not_found",
            param="model",
        )
    texts = _texts(body.get("input"), settings)
    encoding_format: EncodingFormat
    match body.get("encoding_format"):
        case None | "float":
            encoding_format = "float"
        case "base64":
            encoding_format = "base64"
        case _:
            raise invalid("encoding_format must be 'float' or 'base64'", param="encoding_format")
    wanted = body.get("dimensions")
    if wanted is not None and (
        not isinstance(wanted, int) or isinstance(wanted, bool) or wanted != dimensions
    ):
        raise invalid(
            f"dimensions must be {dimensions} (this model's; it cannot shorten its vectors), "
            "or left out",
            param="dimensions",
        )
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise invalid("user must be a string", param="user")
    return EmbeddingRequest(texts, encoding_format)


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(value: Any, settings: SelfHostedSettings) -> list[str]:
    if isinstance(value, str):
        texts = [value]
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        texts = value
    elif isinstance(value, list) and all(
        _is_token(item) or (isinstance(item, list) and all(_is_token(t) for t in item))
        for item in value
    ):
        raise invalid(
            "this server takes text only: send input as a string or an array of strings, "
            "not token ids",
            param="input",
            code="token_input_not_supported",
        )
    else:
        raise invalid("input must be a string or an array of strings", param="input")
    if not texts:
        raise invalid("input is empty: send at least one string", param="input")
    if len(texts) > settings.max_batch:
        raise invalid(
            f"input has {len(texts)} strings; at most {settings.max_batch} per request: "
            "split it into several requests",
            param="input",
        )
    for index, text in enumerate(texts):
        where = "input" if isinstance(value, str) else f"input[{index}]"
        if not text:
            raise invalid(f"{where} is an empty string: every input needs text", param="input")
        if len(text) > settings.max_input_chars:
            raise invalid(
                f"{where} has {len(text)} characters; at most {settings.max_input_chars}: "
                "shorten or split it (the model reads only its first 256 tokens anyway)",
                param="input",
            )
    return texts


def embeddings_body(name: str, encoded: Encoded, encoding_format: EncodingFormat) -> bytes:
    """OpenAI's embeddings answer: ``base64`` is each vector's little-endian float32 bytes."""
    vectors = encoded.vectors
    data: list[dict[str, Any]]
    if encoding_format == "base64":
        raw = vectors.astype("<f4", copy=False)
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": base64.b64encode(row.tobytes()).decode(),
            }
            for i, row in enumerate(raw)
        ]
    else:
        data = [
            {"object": "embedding", "index": i, "embedding": row} for i, row in enumerate(vectors)
        ]
    tokens = encoded.total_tokens
    answer = {
        "object": "list",
        "data": data,
        "model": name,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY)


def models_body(*names: str) -> bytes:
    """OpenAI's model list."""
    data = [{"id": n, "object": "model", "created": 0, "owned_by": "gouvernail"} for n in names]
    return orjson.dumps({"object": "list", "data": data})
