"""The committee service the runtime owns: members, meetings, agenda, minutes and referents.

Each part is its own small service; this class builds them over the same database and audit
trail and is the one entry point other parts use (``runtime.committee``).
"""

from __future__ import annotations

from gouvernail.audit import AuditTrail
from gouvernail.committee.agenda import Agenda
from gouvernail.committee.awaiting import DEFAULT_RULES, AwaitingRule, PendingStage
from gouvernail.committee.meetings import Meetings
from gouvernail.committee.members import Members
from gouvernail.committee.minutes import Minutes
from gouvernail.committee.models import ReferentKind
from gouvernail.committee.quorum import QuorumRule
from gouvernail.committee.referents import Referents, ReferentView
from gouvernail.db.engine import Database
from gouvernail.signatures.service import Signatures


class Committee:
    def __init__(
        self,
        database: Database,
        trail: AuditTrail,
        signatures: Signatures,
        *,
        quorum: str = "majority",
        pending_stage: PendingStage | None = None,
    ) -> None:
        self.rules: list[AwaitingRule] = list(DEFAULT_RULES)
        self.members = Members(database, trail)
        self.minutes = Minutes(database, trail, signatures)
        self.meetings = Meetings(database, trail, self.minutes, QuorumRule(quorum))
        self.agenda = Agenda(database, trail, self.meetings, self.rules, pending_stage)
        self.referents = Referents(database, trail)

    def add_awaiting_rule(self, rule: AwaitingRule) -> None:
        """Another reason for a use case to await the committee (e.g. an overdue contract
        review from the inventory); checked after the built-in rules."""
        self.rules.append(rule)

    def referents_for(
        self, team_id: int, kind: ReferentKind | str, inherit: bool = True
    ) -> list[ReferentView]:
        """The team's current referents of ``kind`` who can act; with ``inherit``, those of
        the nearest parent team that has some. Inside a unit of work, use
        ``gouvernail.committee.find_referents(tx.session, ...)`` instead."""
        return self.referents.referents_for(team_id, kind, inherit=inherit)
