"""The reference agents' loop, as any agent outside Gouvernail would run it: over HTTP, with its
own key, every model call through the gateway (``/v1/chat/completions``) and every tool call
through the tool gateway (``/api/v1/agents/tools/{name}/call``), within a run named in
``x-gouvernail-agent-run``. Asking another agent is the pseudo-tool ``ask_agent``: the message
goes through ``/api/v1/agents/messages``; the peer takes it up in a run of its own (joining the
trace) and replies; the reply comes back as the tool's result. A refusal of any of these comes
back to the model as the tool's error, never as an exception.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

RUN_HEADER = "x-gouvernail-agent-run"
ASK_AGENT = {
    "type": "function",
    "function": {
        "name": "ask_agent",
        "description": "Ask another registered agent a question; its answer is returned.",
        "parameters": {
            "type": "object",
            "properties": {"agent": {"type": "string"}, "message": {"type": "string"}},
            "required": ["agent", "message"],
        },
    },
}


def function_name(tool: str) -> str:
    """OpenAI function names allow no dots: ``server.tool`` becomes ``server__tool``."""
    return tool.replace(".", "__")


@dataclass
class Step:
    """One step of a run, for the scenario's report."""

    agent: str
    kind: str
    name: str
    outcome: str


@dataclass
class Agent:
    slug: str
    key: str
    model: str
    system: str
    max_turns: int = 8

    def headers(self, run_id: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"}
        if run_id:
            headers[RUN_HEADER] = run_id
        return headers


Ask = Callable[[Agent, str, str, str], Awaitable[str]]


@dataclass
class Loop:
    http: httpx.AsyncClient
    ask: Ask
    steps: list[Step] = field(default_factory=list)

    async def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            return {"error": {"message": response.text[:300]}}

    async def start(
        self, agent: Agent, *, message_id: str | None = None, trace_id: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if message_id:
            body["message_id"] = message_id
        if trace_id:
            body["trace_id"] = trace_id
        response = await self.http.post("/api/v1/agents/runs", json=body, headers=agent.headers())
        if response.status_code != 201:
            raise RuntimeError(f"{agent.slug} could not start a run: {response.text[:300]}")
        return dict(response.json())

    async def tools(self, agent: Agent) -> tuple[list[dict[str, Any]], dict[str, str]]:
        response = await self.http.get("/api/v1/agents/me/tools", headers=agent.headers())
        response.raise_for_status()
        names: dict[str, str] = {}
        tools: list[dict[str, Any]] = []
        for tool in response.json():
            name = function_name(tool["name"])
            names[name] = tool["name"]
            tools.append(
                {
                    "type": "function",
                    "function": {
                        "name": name,
                        "description": tool["description"],
                        "parameters": tool["input_schema"],
                    },
                }
            )
        return tools, names

    async def run(
        self,
        agent: Agent,
        task: str,
        *,
        message_id: str | None = None,
        trace_id: str | None = None,
        reply_to: tuple[str, str] | None = None,
    ) -> tuple[str, dict[str, Any]]:
        """Run ``agent`` on ``task`` to its final answer; with ``reply_to`` (the asker's slug
        and message id) the answer is sent back as a reply before the run ends."""
        run = await self.start(agent, message_id=message_id, trace_id=trace_id)
        run_id = run["run_id"]
        tools, names = await self.tools(agent)
        tools.append(ASK_AGENT)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": agent.system},
            {"role": "user", "content": task},
        ]
        answer = ""
        for _ in range(agent.max_turns):
            response = await self.http.post(
                "/v1/chat/completions",
                json={
                    "model": agent.model,
                    "messages": messages,
                    "tools": tools,
                    "max_tokens": 400,
                },
                headers=agent.headers(run_id),
            )
            body = await self._json(response)
            if response.status_code != 200:
                error = body.get("error", {})
                answer = (
                    f"stopped: {error.get('code') or response.status_code}: {error.get('message')}"
                )
                self.steps.append(Step(agent.slug, "model", agent.model, answer))
                break
            message = body["choices"][0]["message"]
            calls = message.get("tool_calls") or []
            self.steps.append(
                Step(agent.slug, "model", agent.model, "tool call" if calls else "answer")
            )
            if not calls:
                answer = message.get("content") or ""
                break
            messages.append(message)
            for call in calls:
                result = await self._tool(agent, run_id, names, call)
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
        else:
            answer = f"stopped after {agent.max_turns} turns"
        if reply_to is not None:
            await self.http.post(
                "/api/v1/agents/messages",
                json={"to": reply_to[0], "content": answer, "reply_to": reply_to[1]},
                headers=agent.headers(run_id),
            )
        await self.http.post(
            f"/api/v1/agents/runs/{run_id}/end",
            json={"reason": "task done"},
            headers=agent.headers(),
        )
        return answer, run

    async def _tool(
        self, agent: Agent, run_id: str, names: dict[str, str], call: dict[str, Any]
    ) -> str:
        function = call["function"]
        try:
            arguments = json.loads(function.get("arguments") or "{}")
        except ValueError:
            return "error: the arguments are not JSON"
        if function["name"] == "ask_agent":
            text = await self.ask(
                agent, str(arguments.get("agent")), str(arguments.get("message")), run_id
            )
            self.steps.append(Step(agent.slug, "message", str(arguments.get("agent")), text[:80]))
            return text
        tool = names.get(function["name"], function["name"].replace("__", "."))
        response = await self.http.post(
            f"/api/v1/agents/tools/{tool}/call",
            json={"arguments": arguments},
            headers=agent.headers(run_id),
        )
        body = await self._json(response)
        if response.status_code != 200:
            text = f"error: {body.get('error', {}).get('message', response.text[:300])}"
        else:
            text = ("error: " if body["is_error"] else "") + body["text"]
        outcome = body.get("code") or "ok"
        if body.get("approval_id") is not None and outcome == "tool_approval_required":
            outcome += f" {body['approval_id']}"
        self.steps.append(Step(agent.slug, "tool", tool, outcome))
        return str(text)
