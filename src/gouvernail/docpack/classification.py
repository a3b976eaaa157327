"""The EU AI Act classification as the documentation shows it: the stored result read back,
the declaration of conformity it calls for (Annex IV point 8) and the obligations with their
application dates and legal sources (point 9)."""

from __future__ import annotations

from pydantic import ValidationError

from gouvernail.aiact import Classification
from gouvernail.docpack import markdown as md
from gouvernail.registry.schemas import UseCaseView


def classification_of(view: UseCaseView) -> tuple[Classification | None, str]:
    """The stored EU AI Act classification, or None and why not."""
    stored = view.classification
    if not stored:
        return None, "the use case is not classified under the EU AI Act (not recorded)"
    try:
        return Classification.model_validate(stored.get("result")), ""
    except ValidationError:
        tier = stored.get("result", {}).get("tier") if isinstance(stored, dict) else None
        return None, (
            f"a classification is stored (tier {tier or 'unknown'}) but it cannot be read with "
            "this version of Gouvernail: classify the use case again"
        )


def declaration(view: UseCaseView) -> str:
    """Annex IV point 8: required only of the provider of a high-risk system."""
    classification, missing = classification_of(view)
    if classification is None:
        return f"Cannot be determined: {md.text(missing)}."
    roles = set(classification.roles or ([classification.role] if classification.role else []))
    tier = classification.tier
    if tier == "prohibited":
        return (
            "Not applicable: the classification found a prohibited practice (Article 5); such a "
            "system may not be placed on the market, put into service or used."
        )
    if tier != "high":
        return f"Not applicable: the system is classified {md.code(tier)}, not high-risk."
    if "provider" not in roles:
        shown = ", ".join(sorted(roles)) or "not recorded"
        return (
            f"Not applicable to the organisation: its role is {md.text(shown)}, not provider; the "
            "provider of a high-risk system draws up the declaration (Articles 16(g) and 47). "
            "The deployer's obligations are in Article 26 (section 9)."
        )
    return (
        "Required: the organisation is the provider of a high-risk AI system (Articles 16(g) and "
        "47). The signed EU declaration of conformity is " + md.NOT_RECORDED + " in Gouvernail: "
        "attach it to this documentation."
    )


def obligations(view: UseCaseView) -> str:
    """Tier, route, articles, the rules that fired, the obligations with their dates."""
    classification, missing = classification_of(view)
    if classification is None:
        return f"Classification: {md.text(missing)}."
    c = classification
    facts = md.fields(
        [
            ("Tier", md.code(c.tier)),
            ("High-risk route", md.code(c.high_risk_route)),
            ("Annex III areas", ", ".join(md.code(a) for a in c.annex_iii_areas) or "none"),
            ("Article 6(3) exception relied on", md.code(c.exception_applied)),
            ("Profiles natural persons (always high-risk)", md.yes_no(c.profiling_override)),
            ("General-purpose AI", md.yes_no(c.gpai)),
            ("Role(s) of the organisation", md.text(", ".join(c.roles))),
            ("Articles", md.text(", ".join(c.articles))),
            ("Needs a compliance review", md.yes_no(c.needs_compliance_review)),
            ("Rule set", md.code(c.ruleset)),
            ("Classified on", md.when(c.classified_on)),
        ]
    )
    reasons = md.bullets(
        f"{md.code(r.rule)}: {md.text(r.text.en)} "
        f"({md.text(', '.join(r.articles), empty='no article')})"
        for r in c.reasons
    )
    duties = [*c.obligations, *c.transparency_duties]
    obligations = md.table(
        ("article", "obligation", "holders", "applies from", "legal source", "in force"),
        [
            (
                md.text(o.article),
                md.text(o.text.en),
                md.text(", ".join(o.holders)),
                md.when(o.applies_from) + (" (amended)" if o.amended else ""),
                md.text(o.source),
                md.yes_no(o.in_force),
            )
            for o in duties
        ],
    )
    return "\n\n".join(
        [
            facts,
            "Why (the rules that fired):",
            reasons,
            "Obligations and transparency duties, with their application dates:",
            obligations if duties else "None.",
        ]
    )
