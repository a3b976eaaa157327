"""``gouvernail inspect``: run the detectors on a text, as the gateway would."""

from __future__ import annotations

import sys
from typing import Annotated, Literal

import orjson
import typer
from rich.table import Table

from gouvernail.cli._common import app, err, out
from gouvernail.inspection import Inspection, Inspector

MAX_TEXT_CHARS = 100_000


@app.command("inspect")
def inspect(
    text: Annotated[
        str, typer.Argument(help="The text to inspect, or '-' to read standard input.")
    ],
    language: Annotated[
        str | None, typer.Option(help="fr, en or de (default: guessed from the text).")
    ] = None,
    mode: Annotated[
        str, typer.Option(help="'full' (with the names model) or 'fast' (rules only).")
    ] = "full",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Find PII, confidential markers and injection signals in TEXT; print each finding
    (type, offsets, score, detector, data class, reason), the data class and the injection
    verdict. Uses the built-in detectors (no database, no charter: default class order)."""
    if language not in (None, "fr", "en", "de"):
        err.print(f"[red]error (language):[/red] {language!r} is not fr, en or de")
        raise typer.Exit(2)
    if mode not in ("full", "fast"):
        err.print(f"[red]error (mode):[/red] {mode!r} is not full or fast")
        raise typer.Exit(2)
    content = sys.stdin.read() if text == "-" else text
    if len(content) > MAX_TEXT_CHARS:
        err.print(f"[red]error (text):[/red] more than {MAX_TEXT_CHARS} characters")
        raise typer.Exit(2)
    chosen: Literal["full", "fast"] = "fast" if mode == "fast" else "full"
    inspector = Inspector.load(names=chosen == "full")
    try:
        inspection = inspector.inspect_text(content, language=language, mode=chosen)
    finally:
        inspector.close()
    if as_json:
        out.print_json(orjson.dumps(_as_json(inspection)).decode())
        return
    table = Table("type", "start", "end", "score", "detector", "data class", "reason")
    for f in inspection.findings:
        table.add_row(
            f.type, str(f.start), str(f.end), f"{f.score:.2f}", f.detector, f.data_class, f.reason
        )
    out.print(table)
    verdict = inspection.injection
    signals = ", ".join(verdict.signals) or "none"
    out.print(f"data class: {inspection.data_class or 'none'}")
    out.print(
        f"injection: {'DETECTED' if verdict.detected else 'not detected'} "
        f"(score {verdict.score:.2f}; signals: {signals})"
    )
    out.print(f"elapsed: {inspection.elapsed_ms:.1f} ms")


def _as_json(inspection: Inspection) -> dict[str, object]:
    return {
        "findings": [
            {
                "type": f.type,
                "start": f.start,
                "end": f.end,
                "score": f.score,
                "detector": f.detector,
                "data_class": f.data_class,
                "reason": f.reason,
            }
            for f in inspection.findings
        ],
        "data_class": inspection.data_class,
        "injection": {
            "detected": inspection.injection.detected,
            "score": inspection.injection.score,
            "signals": list(inspection.injection.signals),
        },
        "elapsed_ms": inspection.elapsed_ms,
    }
