"""Annex IV point 5, the risk management system (AI Act Art. 9): the register, the inherent and
residual heat maps on the 5x5 matrix, and the GxP assessment (FDA model risk, draft Annex 22)."""

from __future__ import annotations

from gouvernail.docpack import markdown as md
from gouvernail.docpack.record import UseCaseRecord
from gouvernail.risk.schemas import Grid, HeatMap
from gouvernail.risk.scoring import LIKELIHOOD_LABELS, SEVERITY_LABELS

TIMES = "\N{MULTIPLICATION SIGN}"


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
