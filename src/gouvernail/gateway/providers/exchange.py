"""The values that cross the provider seam: which operation, what came back, what it used."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Operation = Literal["chat", "embeddings", "responses"]


@dataclass(frozen=True, slots=True)
class UpstreamUsage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, usage: Any) -> UpstreamUsage | None:
        """Read a ``usage`` object of Chat Completions, Embeddings (no completion tokens) or
        Responses (``input_tokens``/``output_tokens``); None if absent or malformed."""
        if not isinstance(usage, dict):
            return None
        prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
        completion = usage.get("completion_tokens", usage.get("output_tokens", 0))
        if not isinstance(prompt, int) or not isinstance(completion, int):
            return None
        total = usage.get("total_tokens")
        return cls(prompt, completion, total if isinstance(total, int) else prompt + completion)


@dataclass(slots=True)
class UpstreamResponse:
    status: int
    body: dict[str, Any]
    """In OpenAI's format, whatever the provider speaks."""
    usage: UpstreamUsage | None
    latency_ms: float
    """From the first attempt to the parsed answer, retries and back-off included."""
    attempts: int
