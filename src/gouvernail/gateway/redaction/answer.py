"""The answer side of a call: guard the model's output, then restore placeholders.

``AnswerFilter`` keeps one guard and one restorer per streamed text: each choice's ``content``
and each of its tool calls' ``function.arguments`` (keyed by the tool call's ``index``), the
arguments being restored as JSON. It works on OpenAI chat-completion bodies and chunks (the
shape every provider adapter produces), or text by text through ``content``, ``arguments`` and
``finish``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gouvernail.gateway.redaction.guard import OutputGuard
from gouvernail.gateway.redaction.placeholders import EXACT
from gouvernail.gateway.redaction.restorer import StreamRestorer
from gouvernail.gateway.redaction.vault import Vault
from gouvernail.inspection.findings import PartFindings


@dataclass(slots=True)
class _Lane:
    """One streamed text: guard, then restore."""

    path: str
    guard: OutputGuard | None
    restorer: StreamRestorer | None

    def feed(self, delta: str) -> str:
        if self.guard is not None:
            delta = self.guard.feed(delta)
        if self.restorer is not None:
            delta = self.restorer.feed(delta)
        return delta

    def finish(self) -> str:
        tail = ""
        if self.guard is not None:
            tail = self.guard.finish()
        if self.restorer is not None:
            tail = self.restorer.feed(tail) + self.restorer.finish()
        return tail


@dataclass(slots=True)
class _Choice:
    content: _Lane | None = None
    tools: dict[int, _Lane] = field(default_factory=dict)
    finished: bool = False


class AnswerFilter:
    """One per call. ``guard`` is a template (never fed itself): each text gets a
    ``guard.spawn`` protecting the vault's placeholders. Either may be None."""

    def __init__(self, guard: OutputGuard | None = None, vault: Vault | None = None) -> None:
        self._guard = guard
        self._vault = vault if vault is not None and len(vault) else None
        self._choices: dict[int, _Choice] = {}
        self._lanes: list[_Lane] = []

    @property
    def findings(self) -> tuple[PartFindings, ...]:
        """What the guards found, per text (``choices[0].content``,
        ``choices[0].tool_calls[1].function.arguments``), offsets into that text."""
        return tuple(
            PartFindings(lane.path, lane.guard.findings)
            for lane in self._lanes
            if lane.guard is not None and lane.guard.findings
        )

    @property
    def restored(self) -> int:
        return sum(lane.restorer.restored for lane in self._lanes if lane.restorer is not None)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Placeholder-like tokens left unrestored, over every finished text."""
        tokens = (
            t for lane in self._lanes if lane.restorer is not None for t in lane.restorer.unknown
        )
        return tuple(dict.fromkeys(tokens))

    # text by text

    def content(self, choice: int, delta: str) -> str:
        state = self._choice(choice)
        if state.content is None:
            state.content = self._lane(f"choices[{choice}].content", json=False)
        return state.content.feed(delta)

    def arguments(self, choice: int, tool: int, delta: str) -> str:
        state = self._choice(choice)
        lane = state.tools.get(tool)
        if lane is None:
            path = f"choices[{choice}].tool_calls[{tool}].function.arguments"
            lane = state.tools[tool] = self._lane(path, json=True)
        return lane.feed(delta)

    def finish(self, choice: int) -> tuple[str, dict[int, str]]:
        """The held tails of a choice: its content, and its tool calls' arguments by index."""
        state = self._choice(choice)
        if state.finished:
            return "", {}
        state.finished = True
        content = state.content.finish() if state.content is not None else ""
        return content, {index: lane.finish() for index, lane in state.tools.items()}

    def close(self) -> dict[int, tuple[str, dict[int, str]]]:
        """Tails of every choice not finished yet (a stream cut before ``finish_reason``)."""
        pending = [index for index, state in self._choices.items() if not state.finished]
        return {index: self.finish(index) for index in pending}

    # OpenAI shapes

    def chunk(self, chunk: dict[str, Any]) -> dict[str, Any]:
        """Filter a ``chat.completion.chunk`` in place (and return it). On a choice's
        ``finish_reason`` the held tails are appended to that chunk's delta."""
        for choice in chunk.get("choices") or ():
            index = choice.get("index", 0)
            delta = choice.get("delta")
            if delta is None:
                delta = choice["delta"] = {}
            if isinstance(delta.get("content"), str):
                delta["content"] = self.content(index, delta["content"])
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                if isinstance(function.get("arguments"), str):
                    function["arguments"] = self.arguments(
                        index, call.get("index", 0), function["arguments"]
                    )
            if choice.get("finish_reason") is not None:
                _append(delta, *self.finish(index))
        return chunk

    def completion(self, body: dict[str, Any]) -> dict[str, Any]:
        """Filter a non-streamed ``chat.completion`` in place (and return it)."""
        for choice in body.get("choices") or ():
            index = choice.get("index", 0)
            message = choice.get("message") or {}
            if isinstance(message.get("content"), str):
                message["content"] = self.content(index, message["content"])
            calls = message.get("tool_calls") or []
            for position, call in enumerate(calls):
                function = call.get("function") or {}
                if isinstance(function.get("arguments"), str):
                    function["arguments"] = self.arguments(index, position, function["arguments"])
            content, tails = self.finish(index)
            if content:
                message["content"] += content
            for position, tail in tails.items():
                calls[position]["function"]["arguments"] += tail
        return body

    def _choice(self, index: int) -> _Choice:
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _Choice()
        return state

    def _lane(self, path: str, *, json: bool) -> _Lane:
        vault = self._vault
        guard = None
        if self._guard is not None:
            guard = self._guard.spawn(protected=EXACT if vault is not None else None)
        restorer = StreamRestorer(vault, json=json) if vault is not None else None
        lane = _Lane(path, guard, restorer)
        self._lanes.append(lane)
        return lane


def _append(delta: dict[str, Any], content: str, tails: dict[int, str]) -> None:
    if content:
        delta["content"] = (delta.get("content") or "") + content
    for index, tail in tails.items():
        if not tail:
            continue
        calls: list[dict[str, Any]] = delta.setdefault("tool_calls", [])
        for call in calls:
            if call.get("index", 0) == index:
                function = call.setdefault("function", {})
                function["arguments"] = (function.get("arguments") or "") + tail
                break
        else:
            calls.append({"index": index, "function": {"arguments": tail}})
