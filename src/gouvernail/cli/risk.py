"""The risk register of use cases and the library of common AI risks."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gouvernail.cli._common import group, out, runtime
from gouvernail.risk.library import DEFAULT_LANGUAGE
from gouvernail.risk.models import RiskStatus

risk_app = group("risk", "The risk register of use cases and the library of common AI risks.")


@risk_app.command("list")
def risk_list(
    use_case_id: Annotated[int, typer.Argument(help="Id of the use case.")],
    status: Annotated[RiskStatus | None, typer.Option(help="Only risks in this status.")] = None,
) -> None:
    """List a use case's risks with their inherent and residual scores (docs/risk-scoring.md)."""
    with runtime() as rt:
        table = Table("#", "category", "title", "inherent", "residual", "status", "owner")
        for risk in rt.risks.list_risks(use_case_id, status=status):
            residual = (
                f"{risk.residual_score} {risk.residual_level}" if risk.residual_score else "-"
            )
            table.add_row(
                str(risk.number),
                risk.category.value,
                risk.title,
                f"{risk.score} {risk.level}",
                residual,
                risk.status.value,
                risk.owner_name or "-",
            )
        out.print(table)


@risk_app.command("library")
def risk_library(
    lang: Annotated[str, typer.Option(help="Language: en or fr.")] = DEFAULT_LANGUAGE,
) -> None:
    """List the library of common AI risks (the shipped one, or ``risk_library_file``)."""
    with runtime() as rt:
        table = Table("id", "category", "title", "L", "S", "level")
        for entry in rt.risks.library.views(lang):
            table.add_row(
                entry.id,
                entry.category.value,
                entry.title,
                str(entry.likelihood),
                str(entry.severity),
                entry.level,
            )
        out.print(table)
