"""A scripted model behind an OpenAI-compatible endpoint, for the reference agents: it speaks
the real Chat Completions and Embeddings wire formats (``httpx.MockTransport(ScriptedModel())``)
and answers deterministically from what the conversation holds, so that the demo and its tests
run offline with the real gateway in front of it.

Each reference agent's system prompt carries ``[agent:<slug>]``; the scripted model plays that
agent's part: which tool to call next given the tool results already in the conversation, and
the final answer. Insight's answer prompt (numbered ``<passage>`` elements) gets an extractive
answer citing its passage; embeddings are hashed bags of words (384 dimensions, unit length).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from typing import Any

import httpx

AGENT = re.compile(r"\[agent:([a-z0-9-]+)\]")
SOURCES = re.compile(r"\[sources:([a-z0-9,-]+)\]")
PASSAGE = re.compile(r'<passage number="(\d+)"[^>]*>\n(.*?)\n</passage>', re.S)
AMOUNT = re.compile(r"(\d[\d ]{2,})\s?EUR")
DIMENSIONS = 384
"""As the bundled MiniLM model's, so that a source it indexed can be searched in the demo."""


def embed(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    for word in re.findall(r"\w{3,}", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        vector[int.from_bytes(digest, "big") % DIMENSIONS] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


def extractive(prompt: str) -> str:
    """The first sentence (not a heading) sharing a long word with the question, citing its
    passage."""
    question = prompt.rsplit("Question:", 1)[-1].lower()
    words = set(re.findall(r"\w{5,}", question))
    for number, text in PASSAGE.findall(prompt):
        for sentence in re.split(r"(?<=[.!?])\s+|\n+", text.strip()):
            if sentence.startswith("#"):
                continue
            if words & set(re.findall(r"\w{5,}", sentence.lower())):
                return f"{sentence.strip()} [{number}]"
    return "NO_ANSWER"


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


class ScriptedModel:
    """``handle(request)``: the endpoint. ``requests`` keeps what it received (the tests read
    what left the company)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.requests.append({"path": request.url.path, "body": body})
        if request.url.path.endswith("/embeddings"):
            inputs = body.get("input")
            texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
            data = [
                {"object": "embedding", "index": i, "embedding": embed(str(t))}
                for i, t in enumerate(texts)
            ]
            usage = {"prompt_tokens": 8 * len(texts), "total_tokens": 8 * len(texts)}
            return httpx.Response(
                200,
                json={"object": "list", "data": data, "model": body.get("model"), "usage": usage},
            )
        if request.url.path.endswith("/chat/completions"):
            return httpx.Response(200, json=self._completion(body))
        return httpx.Response(404, json={"error": {"message": "not scripted", "type": "invalid"}})

    # --- chat -------------------------------------------------------------------------------

    def _completion(self, body: dict[str, Any]) -> dict[str, Any]:
        messages: list[dict[str, Any]] = body.get("messages", [])
        system = " ".join(_text(m) for m in messages if m.get("role") == "system")
        prompt = "\n".join(_text(m) for m in messages)
        found = AGENT.search(system)
        if found is None:
            message: dict[str, Any] = {
                "role": "assistant",
                "content": extractive(prompt) if "<passage" in prompt else "D'accord.",
            }
        else:
            message = getattr(self, "_" + found.group(1).replace("-", "_"), self._unknown)(
                messages, system
            )
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        words = len(prompt.split())
        return {
            "id": "chatcmpl-scripted-" + hashlib.sha256(prompt.encode()).hexdigest()[:12],
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "scripted"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": words,
                "completion_tokens": 40,
                "total_tokens": words + 40,
            },
        }

    @staticmethod
    def _call(name: str, arguments: dict[str, Any], number: int) -> dict[str, Any]:
        return {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{number}_{name}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(arguments)},
                }
            ],
        }

    @staticmethod
    def _done(text: str) -> dict[str, Any]:
        return {"role": "assistant", "content": text}

    @staticmethod
    def _results(messages: list[dict[str, Any]]) -> list[str]:
        return [_text(m) for m in messages if m.get("role") == "tool"]

    @staticmethod
    def _task(messages: list[dict[str, Any]]) -> str:
        users = [_text(m) for m in messages if m.get("role") == "user"]
        return users[-1] if users else ""

    def _unknown(self, messages: list[dict[str, Any]], system: str) -> dict[str, Any]:
        return self._done("I have no script for this agent.")

    def _market_insight(self, messages: list[dict[str, Any]], system: str) -> dict[str, Any]:
        results = self._results(messages)
        if not results:
            sources = SOURCES.search(system)
            return self._call(
                "insight__ask",
                {
                    "question": self._task(messages),
                    "sources": (sources.group(1) if sources else "market-studies").split(","),
                },
                1,
            )
        return self._done(f"Market insight from our studies: {results[-1][:600]}")

    def _commercial(self, messages: list[dict[str, Any]], system: str) -> dict[str, Any]:
        results = self._results(messages)
        if not results:
            return self._call(
                "ask_agent",
                {
                    "agent": "market-insight",
                    "message": "Que disent nos études de marché sur les biosimilaires et "
                    "les achats des hôpitaux ?",
                },
                1,
            )
        if len(results) == 1:
            finding = results[0].split("\n")[0][:300]
            return self._call(
                "ask_agent",
                {
                    "agent": "finance",
                    "message": f"Opportunity: {finding} We need 120000 EUR for a pilot "
                    "offer to hospital purchasing groups. Where can we find the budget?",
                },
                2,
            )
        return self._done(
            "Opportunity qualified with the market studies; the finance agent proposes: "
            + results[-1][:600]
        )

    def _finance(self, messages: list[dict[str, Any]], system: str) -> dict[str, Any]:
        results = self._results(messages)
        task = self._task(messages)
        if not results:
            return self._call("finance-tools__budget_lines", {}, 1)
        if len(results) == 1:
            try:
                lines = json.loads(results[0])["lines"]
            except (ValueError, KeyError, TypeError):
                return self._done(f"I could not read the budget lines: {results[0][:300]}")
            asked = AMOUNT.search(task)
            amount = int(asked.group(1).replace(" ", "")) if asked else 100_000
            donors = [line for line in lines if line.get("department") != "Commercial"]
            donor = max(donors, key=lambda line: float(line.get("available_eur", 0)))
            target = next(
                (line for line in lines if line.get("department") == "Commercial"), lines[0]
            )
            return self._call(
                "finance-tools__move_budget",
                {
                    "from_line": donor["id"],
                    "to_line": target["id"],
                    "amount_eur": amount,
                    "justification": "Pilot offer to hospital purchasing groups, the "
                    "opportunity the commercial agent raised from the market studies.",
                },
                2,
            )
        return self._done(f"Proposed reallocation — {results[-1][:500]}")


class ScriptedTransport(httpx.AsyncBaseTransport):
    """The scripted model as the gateway's transport; embeddings may go to a real transport
    instead (the demo's bundled embedding model, so that the index built with it is searched
    with the same vectors)."""

    def __init__(
        self, model: ScriptedModel, *, embeddings: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.model = model
        self.embeddings = embeddings

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.embeddings is not None and request.url.path.endswith("/embeddings"):
            return await self.embeddings.handle_async_request(request)
        await request.aread()
        return self.model.handle(request)

    async def aclose(self) -> None:
        if self.embeddings is not None:
            await self.embeddings.aclose()
