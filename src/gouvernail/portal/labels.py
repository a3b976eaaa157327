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
}


def label(kind: str, value: str | None) -> str:
    """The translated name of ``value`` of the enumeration ``kind`` ("—" for none)."""
    if value is None or value == "":
        return "—"
    english = LABELS.get(kind, {}).get(str(value))
    return gettext(english) if english else str(value)
