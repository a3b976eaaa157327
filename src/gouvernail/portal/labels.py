"""How the portal names the values of the registry's enumerations (statuses, tiers, levels…),
marked for translation. Templates call ``label(kind, value)``; an unknown value is shown as it
is, so a new enumeration value never breaks a page."""

from __future__ import annotations

from gouvernail.portal.i18n import gettext
from gouvernail.portal.navigation import N_

LABELS: dict[str, dict[str, str]] = {
    "status": {
        "idea": N_("idea"),
        "qualified": N_("qualified"),
        "assessed": N_("assessed"),
        "approved": N_("approved"),
        "pilot": N_("pilot"),
        "production": N_("production"),
        "suspended": N_("suspended"),
        "retired": N_("retired"),
    },
    "tier": {
        "prohibited": N_("prohibited practice"),
        "high": N_("high risk"),
        "limited": N_("limited risk (transparency)"),
        "minimal": N_("minimal risk"),
    },
    "level": {
        "low": N_("low"),
        "medium": N_("medium"),
        "high": N_("high"),
        "critical": N_("critical"),
    },
    "training": {
        "valid": N_("valid"),
        "expiring": N_("expiring"),
        "expired": N_("expired"),
        "missing": N_("missing"),
    },
    "charter": {
        "accepted": N_("accepted"),
        "in_grace": N_("to accept"),
        "missing": N_("not accepted"),
        "no_charter": N_("no charter in force"),
    },
    "decision": {
        "allow": N_("allowed"),
        "redact": N_("redacted"),
        "reroute": N_("rerouted"),
        "block": N_("blocked"),
    },
    "verdict": {
        "ai": N_("AI is warranted"),
        "hybrid": N_("Rules plus AI"),
        "automation": N_("Plain automation"),
    },
    "feedback": {
        "useful": N_("useful"),
        "wrong": N_("wrong"),
        "harmful": N_("harmful"),
        "leaked_data": N_("leaked data"),
    },
    "sourcing": {
        "strategic": N_("strategic (built in-house)"),
        "snackable": N_("snackable (bought)"),
    },
    "hosting": {
        "external_saas": N_("external SaaS"),
        "eu_cloud": N_("EU cloud"),
        "self_hosted": N_("self-hosted"),
    },
    "flag": {
        "pilot_overdue": N_("pilot overdue"),
        "approval_stale": N_("approval stale"),
    },
    "model_status": {
        "candidate": N_("candidate"),
        "approved": N_("approved"),
        "suspended": N_("suspended"),
        "retired": N_("retired"),
    },
    "role": {
        "use_case_owner": N_("use case owner"),
        "data_owner": N_("data owner"),
        "ai_referent": N_("AI referent"),
        "security_referent": N_("security referent"),
        "committee_member": N_("committee member"),
        "auditor": N_("auditor"),
        "admin": N_("administrator"),
    },
    "job_level": {"executive": N_("executive"), "manager": N_("manager"), "staff": N_("staff")},
    "team_kind": {
        "business_unit": N_("business unit"),
        "department": N_("department"),
        "team": N_("team"),
    },
    "charter_status": {
        "draft": N_("draft"),
        "scheduled": N_("scheduled"),
        "active": N_("in force"),
        "superseded": N_("superseded"),
        "withdrawn": N_("withdrawn"),
    },
    "rollout": {"accepted": N_("accepted"), "pending": N_("pending"), "overdue": N_("overdue")},
    "meaning": {
        "authored": N_("authored"),
        "reviewed": N_("reviewed"),
        "approved": N_("approved"),
        "rejected": N_("rejected"),
        "accepted": N_("accepted"),
    },
    "approval": {"approve": N_("approved"), "reject": N_("rejected")},
    "awaiting_rule": {
        "approval_pending": N_("Approval of the use case"),
        "pilot_without_results": N_("Go / no-go at the end of the pilot"),
    },
    "meeting": {
        "planned": N_("planned"),
        "held": N_("held"),
        "minutes_approved": N_("minutes approved"),
        "cancelled": N_("cancelled"),
    },
    "presence": {"present": N_("present"), "excused": N_("excused"), "absent": N_("absent")},
    "outcome": {
        "approved": N_("approved"),
        "rejected": N_("rejected"),
        "deferred": N_("deferred"),
        "information": N_("for information"),
        "suspension_requested": N_("suspension requested"),
    },
    "shadow_severity": {
        "critical": N_("critical"),
        "warning": N_("warning"),
        "info": N_("information"),
    },
    "shadow_category": {
        "chat": N_("chat assistant"),
        "api": N_("model API"),
        "code": N_("code assistant"),
        "image": N_("images"),
        "audio": N_("audio"),
        "video": N_("video"),
        "writing": N_("writing"),
        "translation": N_("translation"),
        "search": N_("search"),
        "meeting": N_("meetings"),
        "agent": N_("agent"),
        "productivity": N_("productivity"),
        "other": N_("other"),
    },
    "shadow_finding": {
        "direct_api": N_("Direct call to a model API"),
        "large_upload": N_("Large upload to an unsanctioned service"),
    },
    "shadow_import": {
        "running": N_("in progress or interrupted"),
        "complete": N_("complete"),
        "failed": N_("failed"),
    },
    "evaluation_run": {
        "queued": N_("queued"),
        "running": N_("running"),
        "complete": N_("complete"),
        "incomplete": N_("incomplete"),
    },
    "canary_metric": {
        "similarity": N_("similarity of the answers"),
        "refusal_rate": N_("refusal rate"),
        "length": N_("length of the answers"),
        "latency": N_("latency"),
        "system_fingerprint": N_("system fingerprint"),
        "provider_model": N_("model name returned"),
    },
    "incident_kind": {
        "wrong_answer": N_("wrong answer"),
        "data_leak": N_("data leak"),
        "bias": N_("bias"),
        "outage": N_("outage"),
        "security": N_("security"),
        "other": N_("other"),
    },
    "incident_status": {"open": N_("open"), "mitigated": N_("mitigated"), "closed": N_("closed")},
    "value_source": {"declared": N_("declared"), "measured": N_("measured")},
    "tool_approval": {
        "pending": N_("pending"),
        "approved": N_("approved"),
        "rejected": N_("rejected"),
        "used": N_("used by the agent"),
        "expired": N_("expired"),
    },
    "approver": {
        "owner": N_("the agent's accountable owner"),
        "use_case_owner": N_("an owner of the agent's use case"),
        "ai_referent": N_("an AI referent"),
    },
    "tool_status": {"active": N_("active"), "suspended": N_("suspended")},
    "transport": {
        "stdio": N_("stdio (a command run by Gouvernail)"),
        "streamable_http": N_("streamable HTTP"),
        "builtin": N_("built into Gouvernail"),
    },
    "on_injection": {
        "withhold": N_("withheld from the agent"),
        "deliver": N_("delivered, marked as untrusted"),
    },
    "tool_call": {
        "completed": N_("completed"),
        "failed": N_("failed"),
        "refused": N_("refused"),
        "withheld": N_("withheld"),
        "awaiting_approval": N_("awaiting approval"),
    },
    "footprint_method": {
        "inventory": N_("inventory's declaration"),
        "ecologits": N_("EcoLogits estimate"),
        "no estimate": N_("no estimate"),
    },
}


def labels_of(kind: str) -> dict[str, str]:
    """Every value of the enumeration ``kind`` with its translated name, in order (for lists
    and the options of a select)."""
    return {value: gettext(text) for value, text in LABELS[kind].items()}


def label(kind: str, value: str | None) -> str:
    """The translated name of ``value`` of the enumeration ``kind`` ("—" for none)."""
    if value is None or value == "":
        return "—"
    english = LABELS.get(kind, {}).get(str(value))
    return gettext(english) if english else str(value)
