"""The nine headings of Annex IV of Regulation (EU) 2024/1689 (technical documentation referred
to in Article 11(1)), each filled from what the registry holds about the use case.

Nothing is invented: what the registry does not hold is written *not recorded*, so that a
reviewer sees the gap. Sub-headings follow the points of each heading of the Annex.
"""

from __future__ import annotations

from pydantic import ValidationError

from gouvernail.aiact import Classification
from gouvernail.docpack import markdown as md
from gouvernail.docpack.record import UseCaseRecord
from gouvernail.registry.schemas import PersonRef, UseCaseView
from gouvernail.risk.schemas import Grid, HeatMap
from gouvernail.risk.scoring import LIKELIHOOD_LABELS, SEVERITY_LABELS

HEADINGS = (
    "1. General description of the AI system",
    "2. Detailed description of the elements of the AI system and of the process for its "
    "development",
    "3. Monitoring, functioning and control of the AI system",
    "4. Appropriateness of the performance metrics",
    "5. Risk management system (Article 9)",
    "6. Relevant changes through the lifecycle",
    "7. Harmonised standards and common specifications applied",
    "8. EU declaration of conformity (Article 47)",
    "9. Post-market monitoring (Article 72)",
)
TIMES = "\N{MULTIPLICATION SIGN}"
SOURCING = {
    "strategic": "strategic: built in-house",
    "snackable": "snackable: a tool bought off the shelf",
}


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


def labelled(label: str, value: object) -> str:
    return f"**{label}:** {md.block(value)}"


def _person(person: PersonRef | None) -> str:
    if person is None:
        return md.NOT_RECORDED
    return f"{md.text(person.display_name)} ({md.code(person.username)})"


def _people(view: UseCaseView, role: str) -> str:
    return ", ".join(_person(m) for m in view.members if m.role == role) or md.NOT_RECORDED


def general(record: UseCaseRecord) -> str:
    view = record.view
    classification, missing = classification_of(view)
    roles = ", ".join(classification.roles) if classification and classification.roles else None
    role_reason = (
        classification.role_reason.text.en if classification and classification.role_reason else ""
    )
    sources = [
        f"{md.text(s.name)} at {md.text(s.location)} (data class {md.code(s.data_class)})"
        for s in view.data_sources
    ]
    training = view.deployment.adoption_plan.training if view.deployment else ""
    return "\n\n".join(
        [
            "### 1.1 Intended purpose",
            labelled("Description", view.description),
            labelled("Business problem", view.business_problem),
            labelled("Objective", view.objective),
            labelled("Intended users", view.intended_users),
            labelled("Affected people", view.affected_people),
            labelled("Expected benefit", view.expected_benefit),
            "### 1.2 Provider, deployer and accountable people",
            md.fields(
                [
                    (
                        "Role of the organisation (AI Act)",
                        md.text(
                            roles or "", empty=md.text(missing) if missing else md.NOT_RECORDED
                        ),
                    ),
                    ("Why this role", md.text(role_reason)),
                    (
                        "Requester",
                        _person(view.requester),
                    ),
                    ("Owners", _people(view, "owner")),
                    ("Members", _people(view, "member")),
                    (
                        "Sponsor",
                        _person(view.sponsor),
                    ),
                    ("Department", md.code(view.department or "")),
                    ("Build or buy", md.text(SOURCING.get(view.sourcing, view.sourcing))),
                ]
            ),
            "### 1.3 Versions",
            md.fields(
                [
                    (
                        "Registry record",
                        f"revision {view.revision} (version {view.version}), last changed "
                        f"{md.when(view.updated_at)}",
                    ),
                    (
                        "Models and their versions",
                        md.NOT_RECORDED + " (the registry does not link models to use cases yet)",
                    ),
                    ("Relation to previous versions", "see section 6 and the audit history"),
                ]
            ),
            "### 1.4 Interaction with other systems, hardware, forms of supply",
            md.fields(
                [
                    ("Data read from", "; ".join(sources) or md.NOT_RECORDED),
                    ("Other software, hardware or AI systems it interacts with", md.NOT_RECORDED),
                    ("Preferred hosting", md.code(view.preferred_hosting or "")),
                    ("Hardware it runs on", md.NOT_RECORDED),
                    (
                        "Forms in which it is placed on the market or put into service",
                        md.NOT_RECORDED,
                    ),
                ]
            ),
            "### 1.5 Instructions for use and user interface",
            labelled("Instructions for use", "")
            + "\n\n"
            + labelled("User training (adoption plan, section 9)", training),
        ]
    )


def development(record: UseCaseRecord) -> str:
    view, gxp = record.view, record.gxp
    verdict = view.automation_verdict
    design = [
        labelled("Build or buy", SOURCING.get(view.sourcing, view.sourcing)),
        labelled("Current process (without AI)", view.current_process),
        labelled("Target process (with AI)", view.target_process),
        labelled(
            "AI-versus-automation verdict",
            f"{verdict.verdict.value}: " + "; ".join(verdict.explanation) if verdict else "",
        ),
        labelled("Pre-trained systems or third-party tools used", ""),
        labelled("System architecture and algorithms", ""),
    ]
    sources = md.table(
        (
            "data source",
            "location",
            "data class",
            "data owner",
            "available",
            "relevance",
            "completeness",
            "recency",
        ),
        [
            (
                md.text(s.name),
                md.text(s.location),
                md.code(s.data_class),
                md.text(s.owner.display_name) if s.owner else md.NOT_RECORDED,
                md.number(s.available),
                md.number(s.relevance),
                md.number(s.completeness),
                md.number(s.recency),
            )
            for s in view.data_sources
        ],
    )
    readiness = view.qualification_result.data_readiness
    activities = (
        md.bullets(md.text(a) for a in gxp.credibility_activities)
        if gxp and gxp.credibility_activities
        else md.NOT_RECORDED
    )
    oversight = view.deployment.human_oversight if view.deployment else ""
    return "\n\n".join(
        [
            "### 2.1 Development process and design choices",
            *design,
            "### 2.2 Data requirements and data sources",
            sources if view.data_sources else md.NOT_RECORDED,
            f"Data readiness (mean of the 1-5 scores): {md.number(readiness)}.",
            "### 2.3 Human oversight measures (Article 14)",
            labelled("Human oversight", oversight),
            labelled(
                "A qualified person is responsible for every output (GxP assessment)",
                md.yes_no(gxp.human_in_the_loop) if gxp else "",
            ),
            "### 2.4 Pre-determined changes to the system and its performance",
            md.NOT_RECORDED,
            "### 2.5 Validation and testing procedures",
            labelled("Validation and testing performed", ""),
            "Credibility activities expected for the model risk of the GxP assessment (expected,"
            " not evidence that they were done):",
            activities,
            "### 2.6 Cybersecurity measures",
            labelled(
                "Cybersecurity", view.deployment.cybersecurity_measures if view.deployment else ""
            ),
        ]
    )


def monitoring(record: UseCaseRecord) -> str:
    view = record.view
    live = [r for r in record.risks if r.status.value != "closed"]
    outcomes = md.bullets(
        f"risk #{r.number} ({r.category.value}, {r.level}): {md.text(r.title)}" for r in live
    )
    deployment = view.deployment
    classes = sorted({s.data_class for s in view.data_sources})
    return "\n\n".join(
        [
            "### 3.1 Capabilities and limitations in performance",
            labelled("Capabilities and limitations, accuracy for groups of persons", ""),
            "Measured performance against the key results: section 4.",
            "### 3.2 Foreseeable unintended outcomes and sources of risk",
            outcomes if live else "None recorded in the risk register (section 5).",
            "### 3.3 Human oversight and switching the AI off",
            labelled("Human oversight", deployment.human_oversight if deployment else ""),
            labelled(
                "Fallback procedure without AI", deployment.fallback_procedure if deployment else ""
            ),
            "### 3.4 Input data specifications",
            labelled("Data classes of the inputs", ", ".join(classes)),
            labelled("Other input specifications", ""),
        ]
    )


def metrics(record: UseCaseRecord) -> str:
    view = record.view
    rows = [
        (
            md.text(r.description),
            md.text(r.unit),
            md.number(r.baseline),
            md.number(r.target),
            md.number(r.measured_value),
            md.when(r.measured_on),
            md.when(r.due_on),
            md.text(r.measurement_note, empty=""),
        )
        for r in view.key_results
    ]
    headers = (
        "key result",
        "unit",
        "baseline",
        "target",
        "measured",
        "measured on",
        "due on",
        "note",
    )
    return "\n\n".join(
        [
            labelled("Objective", view.objective),
            md.table(headers, rows) if rows else "Key results: " + md.NOT_RECORDED,
        ]
    )


def _grid(heatmap: HeatMap, grid: Grid) -> str:
    headers = ("severity \\ likelihood", *(f"{n} {LIKELIHOOD_LABELS[n]}" for n in range(1, 6)))
    rows = [
        (
            f"{severity} {SEVERITY_LABELS[severity]}",
            *(
                f"{grid.cells[severity - 1][lk - 1]} ({heatmap.levels[severity - 1][lk - 1]})"
                for lk in range(1, 6)
            ),
        )
        for severity in range(5, 0, -1)
    ]
    return md.table(headers, rows)


def risk_management(record: UseCaseRecord) -> str:
    register = md.table(
        (
            "#",
            "category",
            "risk",
            f"inherent (L{TIMES}S)",
            "mitigation",
            f"residual (L{TIMES}S)",
            "status",
            "owner",
            "review on",
        ),
        [
            (
                str(r.number),
                md.code(r.category.value),
                md.text(r.title),
                f"{r.likelihood}{TIMES}{r.severity} = {r.score} {r.level}",
                md.text(r.mitigation),
                f"{r.residual_likelihood}{TIMES}{r.residual_severity} = {r.residual_score} "
                f"{r.residual_level}"
                if r.residual_score is not None
                else md.NOT_RECORDED,
                f"{r.status.value}" + (f": {md.text(r.status_reason)}" if r.status_reason else ""),
                md.text(r.owner_name or ""),
                md.when(r.review_on),
            )
            for r in record.risks
        ],
    )
    heat = record.heatmap
    parts = [
        "### 5.1 Risk register",
        register if record.risks else "Risk register: " + md.NOT_RECORDED + " (no risk recorded)",
        f"### 5.2 Heat map (5{TIMES}5, risks not closed)",
        "Inherent risk: number of risks per cell (level of the cell).",
        _grid(heat, heat.inherent),
        f"Residual risk ({heat.without_residual} risk(s) without a residual rating are not "
        "counted):",
        _grid(heat, heat.residual),
        "### 5.3 GxP assessment",
        _gxp(record),
    ]
    return "\n\n".join(parts)


def _gxp(record: UseCaseRecord) -> str:
    gxp = record.gxp
    if gxp is None:
        return "GxP assessment: " + md.NOT_RECORDED
    return md.fields(
        [
            ("GxP relevant", md.yes_no(gxp.gxp_relevant)),
            ("Question of interest", md.text(gxp.question_of_interest)),
            ("Context of use", md.text(gxp.context_of_use)),
            ("Model influence", md.code(gxp.model_influence or "")),
            ("Decision consequence", md.code(gxp.decision_consequence or "")),
            (
                f"Model risk (FDA draft guidance, influence {TIMES} consequence)",
                md.code(gxp.model_risk or ""),
            ),
            ("GMP criticality", md.code(gxp.gmp_criticality or "")),
            ("Generative AI", md.yes_no(gxp.generative_ai)),
            ("Dynamic model (keeps learning in use)", md.yes_no(gxp.dynamic_model)),
            ("Human in the loop", md.yes_no(gxp.human_in_the_loop)),
            (
                "Draft EU GMP Annex 22",
                f"{'allowed' if gxp.annex22.allowed else 'not allowed'} "
                f"(rule {md.code(gxp.annex22.rule)}): {md.text(gxp.annex22.reason)}",
            ),
            ("Rationale", md.text(gxp.rationale)),
            (
                "Rule set",
                md.code(gxp.ruleset)
                + ("" if gxp.ruleset_current else " (the rules changed since: reassess)"),
            ),
            (
                "Assessed by, at",
                f"{md.text(gxp.assessed_by)}, {md.when(gxp.assessed_at)} (version {gxp.version})",
            ),
        ]
    )


def changes(record: UseCaseRecord) -> str:
    view = record.view
    transitions = md.table(
        ("at", "from", "to", "by", "reason"),
        [
            (
                md.when(t.at),
                md.code(t.from_status),
                md.code(t.to_status),
                md.text(t.actor_name),
                md.text(t.reason),
            )
            for t in view.history
        ],
    )
    links = md.table(
        ("kind", "direction", "other use case", "reason", "at"),
        [
            (
                md.code(link.kind),
                link.direction,
                f"UC-{link.other_id:04d} {md.text(link.other_title)}",
                md.text(link.reason),
                md.when(link.created_at),
            )
            for link in view.links
        ],
    )
    return "\n\n".join(
        [
            f"Current status {md.code(view.status)}, content revision {view.revision} (each change "
            "of content raises the revision; approvals bind one revision). Every change, with its "
            "old and new values, is in the audit trail (audit history below).",
            "Lifecycle transitions:",
            transitions if view.history else "Lifecycle transitions: none yet.",
            "Links to other use cases:",
            links if view.links else "Links: none.",
        ]
    )


def standards(_: UseCaseRecord) -> str:
    return (
        "None recorded: the registry holds no harmonised standard, common specification or "
        "other technical specification applied to this use case. Where none is applied, Annex "
        "IV point 7 asks for a description of the solutions adopted to meet Chapter III, "
        "Section 2: " + md.NOT_RECORDED + "."
    )


def declaration(record: UseCaseRecord) -> str:
    classification, missing = classification_of(record.view)
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


def post_market(record: UseCaseRecord) -> str:
    deployment = record.view.deployment
    if deployment is None:
        answers = "Deployment answers: " + md.NOT_RECORDED
    else:
        plan = deployment.adoption_plan
        answers = md.fields(
            [
                ("Fallback procedure without AI", md.text(deployment.fallback_procedure)),
                ("Fallback last rehearsed", md.when(deployment.fallback_last_rehearsed)),
                ("Cybersecurity measures", md.text(deployment.cybersecurity_measures)),
                ("Human oversight", md.text(deployment.human_oversight)),
                ("Vendor exit plan", md.text(deployment.vendor_exit_plan)),
                ("Adoption: communication", md.text(plan.communication)),
                ("Adoption: training", md.text(plan.training)),
                ("Adoption: feedback channel", md.text(plan.feedback_channel)),
                ("Adoption: timeline", md.text(plan.timeline)),
            ]
        )
    return "\n\n".join(
        [
            "### 9.1 Monitoring in use, fallback and exit",
            answers,
            "### 9.2 EU AI Act classification and obligations",
            _classification(record),
        ]
    )


def _classification(record: UseCaseRecord) -> str:
    classification, missing = classification_of(record.view)
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


def sections(record: UseCaseRecord) -> str:
    """The nine Annex IV headings, in order, each with its content."""
    writers = (
        general,
        development,
        monitoring,
        metrics,
        risk_management,
        changes,
        standards,
        declaration,
        post_market,
    )
    return "\n\n".join(
        f"## {heading}\n\n{write(record)}" for heading, write in zip(HEADINGS, writers, strict=True)
    )
