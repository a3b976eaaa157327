"""The nine headings of Annex IV of Regulation (EU) 2024/1689 (technical documentation referred
to in Article 11(1)), each filled from what the registry holds about the use case.

Nothing is invented: what the registry does not hold is written *not recorded*, so that a
reviewer sees the gap. Sub-headings follow the points of each heading of the Annex.
"""

from __future__ import annotations

from gouvernail.docpack import markdown as md
from gouvernail.docpack.classification import classification_of, declaration, obligations
from gouvernail.docpack.record import UseCaseRecord
from gouvernail.docpack.risk_management import risk_management
from gouvernail.registry.schemas import PersonRef, UseCaseView

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
SOURCING = {
    "strategic": "strategic: built in-house",
    "snackable": "snackable: a tool bought off the shelf",
}


def _person(person: PersonRef | None) -> str:
    if person is None:
        return md.NOT_RECORDED
    return f"{md.text(person.display_name)} ({md.code(person.username)})"


def _people(view: UseCaseView, role: str) -> str:
    return ", ".join(_person(m) for m in view.members if m.role == role) or md.NOT_RECORDED


def general(record: UseCaseRecord) -> str:
    view = record.view
    classification, missing = classification_of(view)
    if classification is None:
        role, role_reason = md.text(missing), md.NOT_RECORDED
    else:
        role = md.text(", ".join(classification.roles))
        reason = classification.role_reason
        role_reason = md.text(reason.text.en if reason else "")
    sources = [
        f"{md.text(s.name)} at {md.text(s.location)} (data class {md.code(s.data_class)})"
        for s in view.data_sources
    ]
    training = view.deployment.adoption_plan.training if view.deployment else ""
    return "\n\n".join(
        [
            "### 1.1 Intended purpose",
            md.labelled("Description", view.description),
            md.labelled("Business problem", view.business_problem),
            md.labelled("Objective", view.objective),
            md.labelled("Intended users", view.intended_users),
            md.labelled("Affected people", view.affected_people),
            md.labelled("Expected benefit", view.expected_benefit),
            "### 1.2 Provider, deployer and accountable people",
            md.fields(
                [
                    ("Role of the organisation (AI Act)", role),
                    ("Why this role", role_reason),
                    ("Requester", _person(view.requester)),
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
            md.labelled("Instructions for use", "")
            + "\n\n"
            + md.labelled("User training (adoption plan, section 9)", training),
        ]
    )


def development(record: UseCaseRecord) -> str:
    view, gxp = record.view, record.gxp
    verdict = view.automation_verdict
    design = [
        md.labelled("Build or buy", SOURCING.get(view.sourcing, view.sourcing)),
        md.labelled("Current process (without AI)", view.current_process),
        md.labelled("Target process (with AI)", view.target_process),
        md.labelled(
            "AI-versus-automation verdict",
            f"{verdict.verdict.value}: " + "; ".join(verdict.explanation) if verdict else "",
        ),
        md.labelled("Pre-trained systems or third-party tools used", ""),
        md.labelled("System architecture and algorithms", ""),
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
            md.labelled("Human oversight", oversight),
            md.labelled(
                "A qualified person is responsible for every output (GxP assessment)",
                md.yes_no(gxp.human_in_the_loop) if gxp else "",
            ),
            "### 2.4 Pre-determined changes to the system and its performance",
            md.NOT_RECORDED,
            "### 2.5 Validation and testing procedures",
            md.labelled("Validation and testing performed", ""),
            "Credibility activities expected for the model risk of the GxP assessment (expected,"
            " not evidence that they were done):",
            activities,
            "### 2.6 Cybersecurity measures",
            md.labelled(
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
            md.labelled("Capabilities and limitations, accuracy for groups of persons", ""),
            "Measured performance against the key results: section 4.",
            "### 3.2 Foreseeable unintended outcomes and sources of risk",
            outcomes if live else "None recorded in the risk register (section 5).",
            "### 3.3 Human oversight and switching the AI off",
            md.labelled("Human oversight", deployment.human_oversight if deployment else ""),
            md.labelled(
                "Fallback procedure without AI", deployment.fallback_procedure if deployment else ""
            ),
            "### 3.4 Input data specifications",
            md.labelled("Data classes of the inputs", ", ".join(classes)),
            md.labelled("Other input specifications", ""),
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
            md.labelled("Objective", view.objective),
            md.table(headers, rows) if rows else "Key results: " + md.NOT_RECORDED,
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


def conformity(record: UseCaseRecord) -> str:
    return declaration(record.view)


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
            obligations(record.view),
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
        conformity,
        post_market,
    )
    return "\n\n".join(
        f"## {heading}\n\n{write(record)}" for heading, write in zip(HEADINGS, writers, strict=True)
    )
