"""An OpenAI Chat Completions request, translated to Anthropic's Messages API.

System and developer messages become ``system``; user and assistant content becomes content
blocks (text, images from data URLs or links); assistant ``tool_calls`` become ``tool_use``
blocks and ``tool`` messages ``tool_result`` blocks in a user turn. Consecutive turns of one
role are merged, as Anthropic expects alternating turns with tool results first.
"""

from __future__ import annotations

from typing import Any

import orjson

from gouvernail.gateway.providers.errors import UpstreamError

_TOOL_CHOICE: dict[str, dict[str, Any]] = {
    "auto": {"type": "auto"},
    "none": {"type": "none"},
    "required": {"type": "any"},
}


def invalid(provider: str, message: str) -> UpstreamError:
    return UpstreamError(message, status=400, provider=provider, code="invalid_request")


def messages_request(
    body: dict[str, Any],
    *,
    upstream_model: str,
    default_max_tokens: int,
    stream: bool,
    provider: str,
) -> dict[str, Any]:
    """The Messages API body for an OpenAI chat ``body``."""
    if (body.get("n") or 1) > 1:
        raise invalid(provider, "this model answers one choice per call: n must be 1")
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in body.get("messages") or ():
        role = message.get("role")
        content = message.get("content")
        if role in ("system", "developer"):
            system.append(_text(content, provider))
            continue
        if role == "user":
            blocks = _user_blocks(content, provider)
        elif role == "assistant":
            blocks = _assistant_blocks(message, provider)
        elif role == "tool":
            role = "user"
            blocks = [
                {
                    "type": "tool_result",
                    "tool_use_id": message.get("tool_call_id"),
                    "content": content
                    if isinstance(content, str)
                    else _text_blocks(content, provider),
                }
            ]
        else:
            raise invalid(provider, f"unsupported message role {role!r}")
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})

    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or default_max_tokens
    out: dict[str, Any] = {"model": upstream_model, "max_tokens": max_tokens, "messages": turns}
    if system:
        out["system"] = "\n\n".join(system)
    if stream:
        out["stream"] = True
    for name in ("temperature", "top_p"):
        if body.get(name) is not None:
            out[name] = body[name]
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if body.get("user"):
        out["metadata"] = {"user_id": str(body["user"])}
    if body.get("tools"):
        out["tools"] = [_tool(tool, provider) for tool in body["tools"]]
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"), provider)
    if choice is not None:
        out["tool_choice"] = choice
    return out


def _text(content: Any, provider: str) -> str:
    if isinstance(content, str):
        return content
    return "".join(block["text"] for block in _text_blocks(content, provider))


def _text_blocks(content: Any, provider: str = "") -> list[dict[str, Any]]:
    if content is None:
        return []
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks = []
    for part in content:
        if part.get("type") in ("text", "refusal"):
            blocks.append({"type": "text", "text": part.get("text") or part.get("refusal") or ""})
        else:
            raise invalid(provider, f"unsupported content part {part.get('type')!r} here")
    return blocks


def _user_blocks(content: Any, provider: str) -> list[dict[str, Any]]:
    if not isinstance(content, list):
        return _text_blocks(content, provider)
    blocks = []
    for part in content:
        kind = part.get("type")
        if kind == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url", "") if isinstance(image, dict) else str(image or "")
            blocks.append({"type": "image", "source": _image_source(url, provider)})
        else:
            raise invalid(provider, f"unsupported content part {kind!r} for this model")
    return blocks


def _image_source(url: str, provider: str) -> dict[str, str]:
    if not url.startswith("data:"):
        return {"type": "url", "url": url}
    header, comma, data = url[5:].partition(",")
    media_type, _, encoding = header.partition(";")
    if not comma or encoding != "base64" or not media_type:
        raise invalid(provider, "an image data URL must be data:<media type>;base64,<data>")
    return {"type": "base64", "media_type": media_type, "data": data}


def _assistant_blocks(message: dict[str, Any], provider: str) -> list[dict[str, Any]]:
    blocks = [b for b in _text_blocks(message.get("content"), provider) if b["text"]]
    for call in message.get("tool_calls") or ():
        function = call.get("function") or {}
        try:
            arguments = orjson.loads(function.get("arguments") or "{}")
        except orjson.JSONDecodeError:
            arguments = None
        if not isinstance(arguments, dict):
            raise invalid(provider, "tool call arguments must be a JSON object")
        blocks.append(
            {
                "type": "tool_use",
                "id": call.get("id"),
                "name": function.get("name"),
                "input": arguments,
            }
        )
    return blocks


def _tool(tool: dict[str, Any], provider: str) -> dict[str, Any]:
    if tool.get("type") != "function":
        raise invalid(provider, f"unsupported tool type {tool.get('type')!r}")
    function = tool["function"]
    out = {
        "name": function["name"],
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        out["description"] = function["description"]
    return out


def _tool_choice(choice: Any, parallel: Any, provider: str) -> dict[str, Any] | None:
    out: dict[str, Any] | None
    if choice is None:
        out = None if parallel is not False else {"type": "auto"}
    elif isinstance(choice, str):
        if choice not in _TOOL_CHOICE:
            raise invalid(provider, f"unsupported tool_choice {choice!r}")
        out = dict(_TOOL_CHOICE[choice])
    elif isinstance(choice, dict) and choice.get("type") == "function":
        out = {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    else:
        raise invalid(provider, "tool_choice must be auto, none, required or a function")
    if out is not None and parallel is False and out["type"] != "none":
        out["disable_parallel_tool_use"] = True
    return out
