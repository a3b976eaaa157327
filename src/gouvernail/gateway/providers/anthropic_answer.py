"""Anthropic's answers, whole or streamed, in OpenAI's Chat Completions format.

Stop reasons map ``end_turn``/``stop_sequence`` → ``stop``, ``max_tokens`` → ``length``,
``tool_use`` → ``tool_calls``. Usage counts cache reads and writes as prompt tokens, as
OpenAI does. A stream becomes ``chat.completion.chunk`` dicts: the role first, then text and
tool calls (index, id and name, then argument fragments), the finish reason, and a last
usage chunk with no choices.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from gouvernail.gateway.providers.errors import UpstreamError, bad_response

FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def openai_usage(usage: Any) -> dict[str, Any]:
    usage = usage if isinstance(usage, dict) else {}
    cached = usage.get("cache_read_input_tokens") or 0
    prompt = (usage.get("input_tokens") or 0) + (usage.get("cache_creation_input_tokens") or 0)
    prompt += cached
    completion = usage.get("output_tokens") or 0
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }


def chat_completion(message: dict[str, Any], provider: str) -> dict[str, Any]:
    """A Messages API answer as a ``chat.completion``."""
    content = message.get("content")
    if message.get("type") != "message" or not isinstance(content, list):
        raise bad_response(provider, "the answer is not a message")
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for block in content:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "tool_use":
            calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {
                        "name": block.get("name"),
                        "arguments": orjson.dumps(block.get("input") or {}).decode(),
                    },
                }
            )
    answer: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts else None}
    if calls:
        answer["tool_calls"] = calls
    return {
        "id": message.get("id"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": message.get("model"),
        "choices": [
            {
                "index": 0,
                "message": answer,
                "finish_reason": FINISH.get(message.get("stop_reason") or "", "stop"),
                "logprobs": None,
            }
        ],
        "usage": openai_usage(message.get("usage")),
    }


class AnthropicStream:
    """Decodes one Messages API event stream (``message_start``, ``content_block_*``,
    ``message_delta``, ``message_stop``, ``ping``, ``error``) into chat chunks."""

    def __init__(self, provider: str) -> None:
        self._provider = provider
        self._id = ""
        self._model = ""
        self._created = int(time.time())
        self._tools: dict[int, int] = {}  # content block index -> OpenAI tool call index
        self._usage: dict[str, Any] = {}
        self._done = False

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self._id,
            "object": "chat.completion.chunk",
            "created": self._created,
            "model": self._model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    def decode(self, event: str, data: str) -> list[dict[str, Any]]:
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            raise bad_response(self._provider, "a stream event is not JSON") from None
        if not isinstance(payload, dict):
            raise bad_response(self._provider, "a stream event is not a JSON object")
        try:
            return self._decode(payload.get("type") or event, payload)
        except (KeyError, TypeError, AttributeError):
            raise bad_response(self._provider, f"malformed {event or 'stream'} event") from None

    def _decode(self, kind: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
        if kind == "content_block_delta":
            delta = payload["delta"]
            if delta["type"] == "text_delta":
                return [self._chunk({"content": delta["text"]})]
            if delta["type"] == "input_json_delta" and delta.get("partial_json"):
                function = {"arguments": delta["partial_json"]}
                call = {"index": self._tools[payload["index"]], "function": function}
                return [self._chunk({"tool_calls": [call]})]
            return []  # thinking, signatures, citations: not part of the OpenAI format
        if kind == "message_start":
            message = payload["message"]
            self._id = message.get("id", "")
            self._model = message.get("model", "")
            self._usage.update(message.get("usage") or {})
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            block = payload["content_block"]
            if block["type"] == "tool_use":
                index = self._tools[payload["index"]] = len(self._tools)
                function = {"name": block["name"], "arguments": ""}
                start = {
                    "index": index,
                    "id": block["id"],
                    "type": "function",
                    "function": function,
                }
                return [self._chunk({"tool_calls": [start]})]
            if block["type"] == "text" and block.get("text"):
                return [self._chunk({"content": block["text"]})]
            return []
        if kind == "message_delta":
            self._usage.update({k: v for k, v in (payload.get("usage") or {}).items() if v})
            stop = (payload.get("delta") or {}).get("stop_reason")
            return [self._chunk({}, FINISH.get(stop, "stop"))] if stop else []
        if kind == "message_stop":
            self._done = True
            last = self._chunk({})
            last["choices"] = []
            last["usage"] = openai_usage(self._usage)
            return [last]
        if kind == "error":
            error = payload.get("error") or {}
            overloaded = error.get("type") == "overloaded_error"
            raise UpstreamError(
                f"{self._provider} failed during the stream: {error.get('message', 'error')}",
                status=503 if overloaded else 502,
                provider=self._provider,
                code="upstream_stream_error",
                retryable=True,
            )
        return []  # ping, content_block_stop, events added to the API later

    def finish(self) -> list[dict[str, Any]]:
        if not self._done:
            raise bad_response(self._provider, "the stream ended before message_stop (truncated)")
        return []
