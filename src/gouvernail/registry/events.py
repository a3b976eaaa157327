"""Audit events of the use-case registry (documented in docs/audit-events.md)."""

from __future__ import annotations

from dataclasses import dataclass

from gouvernail.audit.events import AuditEvent


@dataclass(frozen=True, kw_only=True)
class UseCaseSubmitted(AuditEvent):
    """An idea was submitted to the registry (intake), with the duplicate suggestions shown and the
    requester's justification."""

    action = "use_case.submitted"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class UseCaseUpdated(AuditEvent):
    """Fields of a use case changed (old and new values); a content change raises its revision,
    which makes earlier approvals stale."""

    action = "use_case.updated"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class UseCaseQualified(AuditEvent):
    """The qualification answers and the AI-versus-automation check were recorded, with the
    computed verdict."""

    action = "use_case.qualification_recorded"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class UseCaseClassified(AuditEvent):
    """The EU AI Act questionnaire was answered: tier, articles and rule-set version recorded."""

    action = "use_case.classified"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class DeploymentAnswersRecorded(AuditEvent):
    """The answers required for deployment (fallback without AI, cybersecurity, human oversight,
    exit plan, adoption plan) were recorded."""

    action = "use_case.deployment_recorded"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class UseCaseTransitioned(AuditEvent):
    """The use case moved along its lifecycle (from, to), with the reason."""

    action = "use_case.transitioned"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class TransitionRefused(AuditEvent):
    """A lifecycle transition was refused; the missing prerequisites are recorded."""

    action = "use_case.transition_refused"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class MemberAdded(AuditEvent):
    """A person joined a use case (as owner or member), for example a requester who joined an
    existing idea instead of creating a duplicate."""

    action = "use_case.member_added"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class MemberRemoved(AuditEvent):
    """A person left a use case."""

    action = "use_case.member_removed"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class KeyResultMeasured(AuditEvent):
    """A measured value was recorded against a key result."""

    action = "use_case.key_result_measured"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class UseCaseLinked(AuditEvent):
    """Two use cases were linked (related or duplicate)."""

    action = "use_case.linked"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class UseCaseMerged(AuditEvent):
    """A use case was merged into another: it is retired and its members join the other."""

    action = "use_case.merged"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class ApprovalDecided(AuditEvent):
    """An approval stage received a signed decision (approve or reject) on one revision of the use
    case."""

    action = "use_case.approval_decided"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class PromptVersionSaved(AuditEvent):
    """A new version of a use case's named prompt was saved (name, version, text digest and
    the note); earlier versions stay as they were."""

    action = "prompt.version_saved"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class PromptLabelMoved(AuditEvent):
    """A label (``draft`` or ``production``) of a use case's named prompt moved to a version:
    name, label, version and its id, what the promotion gate said (``new``); the version that
    held it before (``old``); the reason. Saving a new version moves ``draft`` to it; moving
    ``production`` to an older version is a roll-back."""

    action = "prompt.label_moved"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class PromptPromotionRefused(AuditEvent):
    """The promotion gate refused to put a prompt version in production: name, version and
    its id, and the gate's reason (``new``); nothing moved."""

    action = "prompt.promotion_refused"
    object_type = "use_case"


@dataclass(frozen=True, kw_only=True)
class PromptGateOverridden(AuditEvent):
    """An AI referent put a prompt version in production although the promotion gate refused
    it: name, version and its id, and the gate's refusal (``new``), with the mandatory reason.
    Recorded with the ``prompt.label_moved`` of the same move."""

    action = "prompt.gate_overridden"
    object_type = "use_case"
