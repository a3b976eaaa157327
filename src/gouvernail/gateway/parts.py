"""The text-bearing parts of a request, found and replaced in place.

``extract`` walks an OpenAI request body (chat, embeddings, responses) and returns every string a
model will read — message contents and text parts, tool definitions (descriptions and every string
of their JSON schema), tool-call arguments, tool results, embedding inputs, instructions — each
with the path that locates it, plus the parts detectors cannot read (images, audio, files, token
arrays). ``replace`` writes redacted text back at those paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gouvernail.inspection.findings import TextPart

Path = tuple[str | int, ...]

UNINSPECTABLE_TYPES = frozenset(
    {"image_url", "input_image", "input_audio", "file", "input_file", "image", "audio"}
)
SCHEMA_SKIP = frozenset({"type", "format", "$ref", "pattern", "$schema", "additionalProperties"})


@dataclass(frozen=True, slots=True)
class Located:
    part: TextPart
    path: Path


@dataclass(frozen=True, slots=True)
class Extracted:
    parts: list[Located]
    uninspectable: list[str]
    """Parts detectors cannot read, with their kind ('messages[1].content[0]: image_url')."""


def _dotted(path: Path) -> str:
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else item)
    return out


class _Walker:
    def __init__(self) -> None:
        self.parts: list[Located] = []
        self.uninspectable: list[str] = []

    def text(self, value: Any, path: Path, role: str | None = None) -> None:
        if isinstance(value, str) and value:
            self.parts.append(Located(TextPart(_dotted(path), value, role), path))

    def strings(self, value: Any, path: Path, role: str | None = None) -> None:
        """Every string leaf of a JSON value (tool schemas, structured tool results)."""
        if isinstance(value, str):
            self.text(value, path, role)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.strings(item, (*path, index), role)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key not in SCHEMA_SKIP:
                    self.strings(item, (*path, key), role)

    def content(self, value: Any, path: Path, role: str | None) -> None:
        if isinstance(value, str):
            self.text(value, path, role)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                here = (*path, index)
                if isinstance(item, str):
                    self.text(item, here, role)
                elif not isinstance(item, dict):
                    self.uninspectable.append(f"{_dotted(here)}: {type(item).__name__}")
                elif item.get("type") in UNINSPECTABLE_TYPES:
                    self.uninspectable.append(f"{_dotted(here)}: {item.get('type')}")
                elif isinstance(item.get("text"), str):
                    self.text(item["text"], (*here, "text"), role)
                elif item.get("type") == "refusal" and isinstance(item.get("refusal"), str):
                    self.text(item["refusal"], (*here, "refusal"), role)
                else:
                    self.uninspectable.append(f"{_dotted(here)}: {item.get('type')}")
        elif value is not None:
            self.uninspectable.append(f"{_dotted(path)}: {type(value).__name__}")

    def tools(self, tools: Any) -> None:
        if not isinstance(tools, list):
            return
        for index, tool in enumerate(tools):
            if not isinstance(tool, dict):
                continue
            nested = tool.get("function")
            function: dict[str, Any] = nested if isinstance(nested, dict) else tool
            base: Path = ("tools", index, "function") if function is not tool else ("tools", index)
            self.text(function.get("description"), (*base, "description"), "tool_definition")
            self.strings(function.get("parameters"), (*base, "parameters"), "tool_definition")


def _chat(body: dict[str, Any], walker: _Walker) -> None:
    for index, message in enumerate(body.get("messages") or ()):
        if not isinstance(message, dict):
            continue
        role = message.get("role") if isinstance(message.get("role"), str) else None
        walker.content(message.get("content"), ("messages", index, "content"), role)
        for j, call in enumerate(message.get("tool_calls") or ()):
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict):
                walker.text(
                    function.get("arguments"),
                    ("messages", index, "tool_calls", j, "function", "arguments"),
                    "tool_call",
                )
    walker.tools(body.get("tools"))


def _embeddings(body: dict[str, Any], walker: _Walker) -> None:
    value = body.get("input")
    if isinstance(value, str):
        walker.text(value, ("input",))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                walker.text(item, ("input", index))
            else:
                walker.uninspectable.append(f"input[{index}]: token array")
                if not isinstance(item, list):  # a flat token list: one array, report once
                    break


def _responses(body: dict[str, Any], walker: _Walker) -> None:
    walker.text(body.get("instructions"), ("instructions",), "system")
    value = body.get("input")
    if isinstance(value, str):
        walker.text(value, ("input",), "user")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                walker.uninspectable.append(f"input[{index}]: {type(item).__name__}")
                continue
            kind = item.get("type", "message")
            role = item.get("role") if isinstance(item.get("role"), str) else None
            if kind == "message":
                walker.content(item.get("content"), ("input", index, "content"), role)
            elif kind == "function_call":
                walker.text(item.get("arguments"), ("input", index, "arguments"), "tool_call")
            elif kind == "function_call_output":
                walker.strings(item.get("output"), ("input", index, "output"), "tool")
            else:
                walker.uninspectable.append(f"input[{index}]: {kind}")
    walker.tools(body.get("tools"))


EXTRACTORS = {"chat": _chat, "embeddings": _embeddings, "responses": _responses}


def extract(operation: str, body: dict[str, Any]) -> Extracted:
    walker = _Walker()
    EXTRACTORS[operation](body, walker)
    return Extracted(walker.parts, walker.uninspectable)


def replace(body: dict[str, Any], path: Path, value: str) -> None:
    """Set the string at ``path`` (as found by ``extract``) to ``value``."""
    target: Any = body
    for item in path[:-1]:
        target = target[item]
    target[path[-1]] = value


def texts(parts: list[Located]) -> Iterator[str]:
    return (located.part.text for located in parts)
