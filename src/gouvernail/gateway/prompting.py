"""The prompt registry on the gateway's path: a use case's production prompt applied to its
calls, and the prompt version every call records.

A use case asks for it in its gateway settings (``system_prompt``: a prompt name of its
registry, ``system_prompt_mode``: ``replace`` the caller's system messages or ``prepend`` to
them). Admission reads the version labelled ``production`` with the rest of its snapshot, so
applying it costs no query; a label moved on this replica drops the snapshots at once
(``Runtime.gateway_changed``), other replicas see it within ``admission_cache_seconds``.

``ApplyPrompt`` runs right after the body is parsed, before inspection, so that the detectors see
what is actually sent. Chat calls get the prompt as their first ``system`` message; Responses
calls as their ``instructions``. A caller that builds its prompt itself may declare the registry
version it used (``x-gouvernail-prompt-version: <prompt version id>``); the version must belong
to the call's use case (else 400). When the gateway applies the production prompt, that version
is the one recorded.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gouvernail.gateway.errors import GatewayError, invalid
from gouvernail.registry.models import PromptVersion
from gouvernail.registry.prompt_labels import PRODUCTION, PromptLabel

if TYPE_CHECKING:
    from gouvernail.gateway.call import Call

PromptMode = Literal["replace", "prepend"]
PROMPT_HEADER = "x-gouvernail-prompt-version"
SYSTEM_ROLES = frozenset({"system", "developer"})
_ID = re.compile(r"^[1-9]\d{0,11}$")


@dataclass(frozen=True, slots=True)
class ProductionPrompt:
    """The version of a use case's prompt the gateway applies to its calls."""

    name: str
    version_id: int
    version: int
    text: str
    mode: PromptMode


@dataclass(frozen=True, slots=True)
class AskedPrompt:
    """What a use case's gateway settings ask for, and the version found in production."""

    name: str
    mode: PromptMode
    production: ProductionPrompt | None


def asked_prompt(
    session: Session, use_case_id: int, name: str | None, mode: str
) -> AskedPrompt | None:
    """The use case's production prompt ``name`` (read into the admission snapshot)."""
    if name is None:
        return None
    chosen: PromptMode = "prepend" if mode == "prepend" else "replace"
    row = session.execute(
        select(PromptVersion.id, PromptVersion.version, PromptVersion.text)
        .join(PromptLabel, PromptLabel.prompt_version_id == PromptVersion.id)
        .where(
            PromptLabel.use_case_id == use_case_id,
            PromptLabel.name == name,
            PromptLabel.label == PRODUCTION,
        )
    ).first()
    production = (
        None if row is None else ProductionPrompt(name, row.id, row.version, row.text, chosen)
    )
    return AskedPrompt(name, chosen, production)


def apply(operation: str, body: dict[str, Any], prompt: ProductionPrompt) -> None:
    """Put ``prompt`` into a chat or Responses body, in place."""
    if operation == "chat":
        messages = body["messages"]
        if prompt.mode == "replace":
            messages = [m for m in messages if m.get("role") not in SYSTEM_ROLES]
        body["messages"] = [{"role": "system", "content": prompt.text}, *messages]
        return
    caller = body.get("instructions")
    if prompt.mode == "replace":
        body["instructions"] = prompt.text
        if isinstance(body.get("input"), list):
            body["input"] = [
                item
                for item in body["input"]
                if not (isinstance(item, dict) and item.get("role") in SYSTEM_ROLES)
            ]
    elif isinstance(caller, str) and caller:
        body["instructions"] = f"{prompt.text}\n\n{caller}"
    else:
        body["instructions"] = prompt.text


class PromptOwners:
    """Which use case a prompt version belongs to (never changes: cached for good)."""

    def __init__(self, load: Callable[[int], int | None]) -> None:
        self.load = load
        self._known: dict[int, int] = {}

    async def owner(self, version_id: int) -> int | None:
        found = self._known.get(version_id)
        if found is None:
            found = await asyncio.to_thread(self.load, version_id)
            if found is not None:
                if len(self._known) > 100_000:
                    self._known.clear()
                self._known[version_id] = found
        return found


class ApplyPrompt:
    """Check a declared prompt version; apply the use case's production prompt."""

    def __init__(self, owners: PromptOwners) -> None:
        self.owners = owners

    async def __call__(self, call: Call) -> None:
        who = call.admitted
        assert who is not None
        if call.prompt_header is not None:
            call.prompt_version_id = await self._declared(call.prompt_header, who.use_case.id)
        asked = who.use_case.prompt
        if asked is None or call.operation == "embeddings":
            return
        if asked.production is None:
            raise GatewayError(
                503,
                f"use case {who.use_case.id} asks the gateway for its prompt {asked.name!r}, "
                "but no version of it is labelled production: label one, or change the use "
                "case's gateway settings",
                code="prompt_not_in_production",
            )
        apply(call.operation, call.body, asked.production)
        call.prompt_version_id = asked.production.version_id

    async def _declared(self, header: str, use_case_id: int) -> int:
        value = header.strip()
        if not _ID.match(value):
            raise invalid(
                f"{PROMPT_HEADER} must be the id of a prompt version of the registry (a "
                f"positive integer), not {value[:40]!r}",
                param=PROMPT_HEADER,
                code="invalid_prompt_version",
            )
        version_id = int(value)
        if await self.owners.owner(version_id) != use_case_id:
            raise invalid(
                f"{PROMPT_HEADER}: prompt version {version_id} is not a prompt of use case "
                f"{use_case_id} (GET /api/v1/use-cases/{use_case_id}/prompts lists them)",
                param=PROMPT_HEADER,
                code="invalid_prompt_version",
            )
        return version_id


def owner_loader(read: Callable[[], Any]) -> Callable[[int], int | None]:
    """``PromptOwners``' query, given the database's ``read`` session factory."""

    def load(version_id: int) -> int | None:
        with read() as session:
            found: int | None = session.scalar(
                select(PromptVersion.use_case_id).where(PromptVersion.id == version_id)
            )
            return found

    return load
