"""The documentation pack of one use case, as Markdown.

Cover, then the EU AI Act Annex IV outline (``annex_iv``), then what a reviewer or inspector
checks next: the qualification and the AI-versus-automation verdict, the committee's
discussions, the approvals with the full manifestation of each electronic signature (21 CFR
11.50) and whether it binds the current revision (11.70), and the audit history of the record.
"""

from __future__ import annotations

from datetime import datetime

from gouvernail.docpack import annex_iv
from gouvernail.docpack import markdown as md
from gouvernail.docpack.classification import classification_of
from gouvernail.docpack.document import Document, assemble
from gouvernail.docpack.record import UseCaseRecord
from gouvernail.registry.approvals import DecisionView
from gouvernail.signatures.service import SignatureView

HASH_PREFIX = 12


def qualification(record: UseCaseRecord) -> str:
    view = record.view
    answers, result = view.qualification, view.qualification_result
    if answers is None:
        asked = "Qualification answers: " + md.NOT_RECORDED
    else:
        asked = md.fields(
            [
                (
                    "Tied to a priority objective",
                    md.yes_no(answers.tied_to_priority_objective)
                    + (
                        f": {md.text(answers.priority_objective)}"
                        if answers.priority_objective
                        else ""
                    ),
                ),
                ("Benefit measurable", md.yes_no(answers.benefit_measurable)),
                (
                    "Benefit validated by stakeholders",
                    md.yes_no(answers.benefit_validated_by_stakeholders)
                    + (f": {md.text(answers.stakeholders)}" if answers.stakeholders else ""),
                ),
                ("Expected value (1-5)", str(answers.expected_value)),
                ("Skills available (1-5)", str(answers.skills_available)),
            ]
        )
    gaps = md.bullets((md.text(gap) for gap in result.gaps), empty="none")
    automation, verdict = view.automation, view.automation_verdict
    if automation is None or verdict is None:
        check = "AI-versus-automation answers: " + md.NOT_RECORDED
    else:
        check = "\n\n".join(
            [
                md.fields(
                    [
                        ("Fixed rules could do the job", md.yes_no(automation.rules_expressible)),
                        ("Learns from data", md.yes_no(automation.learns_from_data)),
                        ("Adapts to changing inputs", md.yes_no(automation.needs_adaptation)),
                        ("Acts without a script", md.yes_no(automation.needs_autonomy)),
                        ("Reads unstructured inputs", md.yes_no(automation.unstructured_inputs)),
                        ("Why AI anyway", md.text(automation.ai_justification, empty="-")),
                    ]
                ),
                f"**Verdict:** {md.code(verdict.verdict.value)}"
                + (" (AI kept against the recommendation)" if verdict.overridden else ""),
                md.bullets(md.text(line) for line in verdict.explanation),
            ]
        )
    return "\n\n".join(
        [
            "### Qualification",
            asked,
            f"Data readiness: {md.number(result.data_readiness)}; value: "
            f"{md.number(result.value)}; skills: {md.number(result.skills)}.",
            "Gaps that block qualification:",
            gaps,
            "### AI versus automation",
            check,
        ]
    )


def committee(record: UseCaseRecord) -> str:
    if not record.agenda:
        return "The use case has not been on a committee agenda."
    return md.table(
        ("meeting", "scheduled at", "meeting status", "why on the agenda", "outcome", "notes"),
        [
            (
                md.text(item.meeting),
                md.when(item.scheduled_at),
                md.code(item.meeting_status),
                md.text(item.why),
                md.code(item.outcome or ""),
                md.text(item.notes),
            )
            for item in record.agenda
        ],
    )


def _signature(signature: SignatureView) -> list[tuple[str, str]]:
    return [
        ("Meaning", md.code(signature.meaning)),
        ("Printed name", md.text(signature.printed_name)),
        ("Signed at (UTC)", md.when(signature.signed_at)),
        ("Version signed", str(signature.object_version)),
        ("Signed content SHA-256", md.code(signature.object_hash)),
        ("Binds the current revision", md.yes_no(signature.current)),
        ("Authentication", md.code(signature.method)),
        ("Signature id", str(signature.id)),
        ("Manifestation", md.text(signature.manifestation)),
    ]


def _decision(number: int, decision: DecisionView, signature: SignatureView | None) -> str:
    head = (
        f"#### {number}. {md.text(decision.stage)}: {md.code(decision.decision)} by "
        f"{md.text(decision.printed_name)}"
    )
    rows = [
        ("Stage", md.code(decision.stage)),
        ("Decision", md.code(decision.decision)),
        ("Comment", md.text(decision.comment, empty="-")),
        ("Revision decided", str(decision.revision)),
    ]
    if signature is None:
        rows.append(("Signature", f"{md.NOT_RECORDED} (signature id {decision.signature_id})"))
    else:
        rows.extend(_signature(signature))
    return f"{head}\n\n{md.fields(rows)}"


def approvals(record: UseCaseRecord) -> str:
    state = record.approvals
    label = state.workflow_label.get("en", state.workflow)
    summary = md.fields(
        [
            ("Workflow", f"{md.text(label)} ({md.code(state.workflow)})"),
            ("Revision under approval", str(state.revision)),
            ("Approvable", md.yes_no(state.approvable)),
            ("Complete for this revision", md.yes_no(state.complete)),
            (
                "Rejected at stage",
                md.code(state.rejected_stage or "") if state.rejected_stage else "-",
            ),
            ("Next stage", md.code(state.next_stage) if state.next_stage else "-"),
        ]
    )
    stages = md.table(
        ("stage", "signed by", "quorum", "complete", "status"),
        [
            (
                f"{md.text(stage.label.get('en', stage.id))} ({md.code(stage.id)})",
                md.code(stage.role or stage.signers),
                str(stage.quorum),
                md.yes_no(stage.complete),
                md.text(stage.status),
            )
            for stage in state.stages
        ],
    )
    by_id = {signature.id: signature for signature in record.signatures}
    decided = [
        _decision(number, decision, by_id.get(decision.signature_id))
        for number, decision in enumerate(state.decisions, start=1)
    ]
    linked = {decision.signature_id for decision in state.decisions}
    others = [s for s in record.signatures if s.id not in linked]
    parts = [
        summary,
        stages,
        "### Decisions and their electronic signatures",
        "\n\n".join(decided) if decided else "No decision yet.",
    ]
    if others:
        parts.append("### Other signatures of this use case")
        parts.extend(md.fields(_signature(signature)) for signature in others)
    return "\n\n".join(parts)


def audit_history(record: UseCaseRecord) -> str:
    rows = [
        (
            str(entry.seq),
            md.when(entry.ts),
            f"{md.text(entry.actor_name)} ({md.code(entry.actor_id)})",
            md.code(entry.action),
            f"{md.code(entry.object_type)} {md.code(entry.object_id)}",
            md.text(entry.reason, empty="-"),
            md.code(entry.hash[:HASH_PREFIX]),
        )
        for entry in record.audit
    ]
    note = (
        "Records about the use case, its risks, its GxP assessment, its signatures and its "
        "committee agenda items, in chain order. Downloads of this documentation are audited "
        "too (`documentation.generated`) but not listed, so that the content hash identifies "
        "the state of the record. `gouvernail audit verify` checks the whole chain."
    )
    table = md.table(("seq", "time (UTC)", "actor", "action", "object", "reason", "hash"), rows)
    return f"{note}\n\n{table if rows else md.NOT_RECORDED}"


def build(
    record: UseCaseRecord, *, generated_by: str, generated_at: datetime, version: str
) -> Document:
    """The pack of one use case: cover, Annex IV outline, qualification, committee, approvals,
    audit history."""
    view = record.view
    classification, _ = classification_of(view)
    body = "\n\n".join(
        [
            "This document follows the outline of Annex IV of Regulation (EU) 2024/1689 "
            "(technical documentation, Article 11). It is generated from the Gouvernail registry; "
            f"what the registry does not hold is marked {md.NOT_RECORDED}.",
            annex_iv.sections(record),
            "## Qualification and AI-versus-automation verdict",
            qualification(record),
            "## Governance committee",
            committee(record),
            "## Approvals and electronic signatures",
            approvals(record),
            "## Audit history",
            audit_history(record),
        ]
    )
    cover = [
        ("Reference", md.code(view.reference)),
        ("Title", md.text(view.title)),
        ("Status", md.code(view.status)),
        ("Revision", f"{view.revision} (record version {view.version})"),
        ("EU AI Act tier", md.code(classification.tier) if classification else md.NOT_RECORDED),
        ("Generated at (UTC)", md.when(generated_at)),
        ("Generated by", md.text(generated_by)),
        ("Gouvernail version", md.code(version)),
    ]
    return assemble(
        f"Technical documentation {view.reference}: {view.title}",
        f"{view.reference}-documentation",
        cover,
        body,
    )
