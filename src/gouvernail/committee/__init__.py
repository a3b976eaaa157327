"""The governance committee (membership, meetings, agenda, minutes, decisions) and the named
referents of each team (AI referent, security referents, data owner)."""

from gouvernail.committee.awaiting import (
    Awaiting,
    AwaitingRule,
    AwaitingView,
    PendingStage,
    approval_stage,
)
from gouvernail.committee.models import CommitteeRole, MeetingStatus, Outcome, ReferentKind
from gouvernail.committee.referents import ReferentView, TeamReferentsView, find_referents
from gouvernail.committee.service import Committee

__all__ = [
    "Awaiting",
    "AwaitingRule",
    "AwaitingView",
    "Committee",
    "CommitteeRole",
    "MeetingStatus",
    "Outcome",
    "PendingStage",
    "ReferentKind",
    "ReferentView",
    "TeamReferentsView",
    "approval_stage",
    "find_referents",
]
