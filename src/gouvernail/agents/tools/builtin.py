"""Tools Gouvernail serves itself, registered in the inventory like MCP servers (transport
``builtin``) and governed the same way.

``insight``: ``insight.ask`` answers a question from internal documents with citations, through
the insight service, **for the agent's accountable owner**: only the documents that person may
read are searched, their data classes are declared to the gateway, and the answer model call is
recorded like any other. When AI is unavailable the ranked passages come back instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gouvernail.agents.mcp.upstream import ToolOutcome, ToolSpec
from gouvernail.audit import AuditContext
from gouvernail.audit.events import Actor
from gouvernail.errors import GouvernailError
from gouvernail.gateway.admission import Admitted

if TYPE_CHECKING:
    from gouvernail.insight.service import Insight

ASK = ToolSpec(
    "ask",
    "Answer a question from the company's internal documents (only those the agent's "
    "accountable owner may read), with numbered citations of the passages used.",
    {
        "type": "object",
        "properties": {
            "question": {"type": "string", "minLength": 1, "maxLength": 4000},
            "sources": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "maxItems": 10,
                "description": "Insight sources to search (slugs).",
            },
        },
        "required": ["question", "sources"],
        "additionalProperties": False,
    },
)
SERVERS: dict[str, list[ToolSpec]] = {"insight": [ASK]}


class Builtins:
    def __init__(self, insight: Callable[[], Insight]) -> None:
        self.insight = insight

    @staticmethod
    def tools(slug: str) -> list[ToolSpec]:
        try:
            return SERVERS[slug]
        except KeyError:
            raise GouvernailError(
                f"no built-in tool server {slug!r}; built-in: {', '.join(sorted(SERVERS))}",
                field="slug",
            ) from None

    async def call(
        self, slug: str, tool: str, arguments: dict[str, Any], who: Admitted, request_id: str
    ) -> ToolOutcome:
        if (slug, tool) != ("insight", "ask"):
            return ToolOutcome(is_error=True, text=f"no built-in tool {slug}.{tool}")
        from gouvernail.insight.schemas import AskIn

        try:
            body = AskIn.model_validate(
                {"question": arguments.get("question"), "sources": arguments.get("sources")}
            )
        except ValueError as error:
            return ToolOutcome(is_error=True, text=f"invalid arguments: {error}")
        context = AuditContext(Actor(id=str(who.user_id), name=who.display_name), request_id)
        try:
            answer = await self.insight().ask(context, body, user_id=who.user_id)
        except GouvernailError as error:
            return ToolOutcome(is_error=True, text=error.message)
        cited = "\n".join(
            f"[{p.number}] {p.title} ({p.path}{', ' + p.locator if p.locator else ''})"
            for p in answer.passages
        )
        if answer.mode == "answer":
            text = f"{answer.answer}\n\nSources:\n{cited}"
        elif answer.mode == "passages":
            quoted = "\n\n".join(f"[{p.number}] {p.text}" for p in answer.passages)
            text = f"AI is unavailable ({answer.reason}); the passages found:\n{quoted}"
        else:
            text = f"No answer in the documents: {answer.reason}"
        return ToolOutcome(
            is_error=False,
            text=text,
            structured={
                "mode": answer.mode,
                "answer": answer.answer,
                "citations": [c.model_dump() for c in answer.citations],
                "passages": [
                    {"number": p.number, "title": p.title, "path": p.path, "source": p.source}
                    for p in answer.passages
                ],
            },
        )
