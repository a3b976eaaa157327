"""Detectors and enforcement rules edited by administrators in the portal.

Each save is a new, never-edited version (``PolicyDocument``) in the same YAML layout as the
files: ``detectors`` is an overlay merged over the built-in detectors and the
``gateway.detectors_files``; ``rules`` replaces the enforcement rules of
``gateway.rules_file``. A version is validated in full before it is stored (a bad one is
refused with the place of the error), audited, applied at once on the replica that saved it,
and on every other replica within ``gateway.policy_reload_seconds`` (``Watcher``).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import structlog
import yaml
from pydantic import ValidationError
from sqlalchemy import func, select

from gouvernail.audit import AuditContext, AuditTrail, Tx
from gouvernail.db.engine import Database
from gouvernail.errors import GouvernailError
from gouvernail.gateway.events import PolicyDocumentSaved
from gouvernail.gateway.models import PolicyDocument
from gouvernail.gateway.rules import DEFAULT_RULES, Rules, RuleSet
from gouvernail.inspection.registry import Registry

log = structlog.get_logger(__name__)

Kind = Literal["detectors", "rules"]
KINDS: tuple[Kind, ...] = ("detectors", "rules")
MAX_TEXT = 200_000
DETECTORS_TEMPLATE = """\
# Detectors added or changed by the administrators, merged over the built-in ones (same layout
# as a gateway.detectors_files file). Examples:
# detectors:
#   - name: project_codenames
#     kind: terms
#     entity: CONFIDENTIAL_MARKER
#     data_class: confidential
#     terms: [{term: Orion}, {term: Helios}]
# data_classes: {CONFIDENTIAL_MARKER: confidential}
{}
"""


@dataclass(frozen=True)
class Version:
    kind: str
    version: int
    text: str
    reason: str
    created_by: int | None
    created_at: datetime


def _mapping(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise GouvernailError(f"not valid YAML{line}: {error}", field="text") from None
    if not isinstance(data, dict):
        raise GouvernailError("expected a YAML mapping at the top level", field="text")
    return data


def parse_rules(text: str) -> RuleSet:
    """The rule set of ``text``, or a refusal that says where it is wrong."""
    try:
        return RuleSet.model_validate(_mapping(text))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "rules"
        raise GouvernailError(f"{where}: {first['msg']}", field="text") from None


def parse_detectors(text: str, files: list[Path]) -> Registry:
    """The detector registry the overlay ``text`` gives, merged over the built-ins and files."""
    overlay = _mapping(text)
    try:
        return Registry.load(files, [overlay])
    except GouvernailError as error:
        raise GouvernailError(error.message, field="text") from None


@dataclass
class PolicyDocuments:
    database: Database
    trail: AuditTrail
    detectors_files: list[Path]
    rules_file: Path | None

    # --- reading ----------------------------------------------------------------------------

    def versions(self, kind: Kind) -> list[Version]:
        """Every version of ``kind``, newest first."""
        with self.database.read() as session:
            rows = session.scalars(
                select(PolicyDocument)
                .where(PolicyDocument.kind == kind)
                .order_by(PolicyDocument.version.desc())
            ).all()
            return [
                Version(r.kind, r.version, r.text, r.reason, r.created_by, r.created_at)
                for r in rows
            ]

    def current_text(self, kind: Kind) -> str:
        """What is in force: the newest version, or the starting point an admin edits."""
        versions = self.versions(kind)
        if versions:
            return versions[0].text
        if kind == "rules":
            return (self.rules_file or DEFAULT_RULES).read_text(encoding="utf-8")
        return DETECTORS_TEMPLATE

    def latest_numbers(self) -> dict[str, int]:
        with self.database.read() as session:
            rows = session.execute(
                select(PolicyDocument.kind, func.max(PolicyDocument.version)).group_by(
                    PolicyDocument.kind
                )
            ).all()
        return {kind: int(number) for kind, number in rows}

    # --- writing ----------------------------------------------------------------------------

    def save(self, ctx: AuditContext, kind: Kind, text: str, reason: str, user_id: int) -> int:
        """Validate and store a new version; returns its number."""
        if kind not in KINDS:
            raise GouvernailError(f"unknown policy document {kind!r}", field="kind")
        if not reason.strip():
            raise GouvernailError("say why the change is made", field="reason")
        if len(text) > MAX_TEXT:
            raise GouvernailError(f"at most {MAX_TEXT} characters", field="text")
        if kind == "rules":
            parse_rules(text)
        else:
            parse_detectors(text, self.detectors_files)
        previous = self.current_text(kind)

        def work(tx: Tx) -> int:
            number = (
                tx.session.scalar(
                    select(func.max(PolicyDocument.version)).where(PolicyDocument.kind == kind)
                )
                or 0
            ) + 1
            tx.session.add(
                PolicyDocument(
                    kind=kind, version=number, text=text, reason=reason, created_by=user_id
                )
            )
            tx.emit(
                PolicyDocumentSaved(
                    object_id=kind,
                    object_version=number,
                    old={"sha256": _digest(previous), "chars": len(previous)},
                    new={"sha256": _digest(text), "chars": len(text)},
                    reason=reason,
                )
            )
            return number

        return self.trail.run(ctx, work)

    # --- applying ---------------------------------------------------------------------------

    def apply(
        self,
        rules: Rules,
        reconfigure: Callable[[Registry], None] | None,
        applied: dict[str, int],
    ) -> list[str]:
        """Bring ``rules`` and the inspector (``reconfigure``) to the newest versions, noting
        in ``applied`` the version of each kind in use; returns the kinds that changed. A
        stored version that no longer loads (a detectors file changed under it) is logged and
        the previous configuration kept."""
        changed = []
        for kind, number in self.latest_numbers().items():
            if applied.get(kind) == number:
                continue
            text = self.versions(kind)[0].text  # type: ignore[arg-type]
            try:
                if kind == "rules":
                    rules.replace(parse_rules(text))
                elif reconfigure is not None:
                    reconfigure(parse_detectors(text, self.detectors_files))
            except GouvernailError as error:
                log.error(
                    "policy document not applied", kind=kind, version=number, error=error.message
                )
                continue
            applied[kind] = number
            changed.append(kind)
            log.info("policy document applied", kind=kind, version=number)
        return changed


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def watch(
    documents: PolicyDocuments,
    rules: Rules,
    reconfigure: Callable[[Registry], None] | None,
    applied: dict[str, int],
    every: float,
) -> None:
    """Apply versions saved on other replicas (runs for the server's lifetime)."""
    while True:
        try:
            await asyncio.to_thread(documents.apply, rules, reconfigure, applied)
        except Exception:  # logged; the next round tries again
            log.exception("policy reload failed")
        await asyncio.sleep(every)
