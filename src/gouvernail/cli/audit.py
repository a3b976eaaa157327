"""The audit trail: verify, export, public key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gouvernail.audit.export import ExportFormat, ExportFormatError, export, verify_export
from gouvernail.audit.signing import load_public_key, public_key_pem
from gouvernail.audit.verify import verify_database
from gouvernail.cli._common import (
    console_context,
    err,
    group,
    out,
    runtime,
)

audit_app = group("audit", "The tamper-evident audit trail.")


# --- audit ----------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(
    export_file: Annotated[
        Path | None,
        typer.Option("--export", help="Verify this exported file offline instead of the database."),
    ] = None,
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key that signed the export's checkpoints.")
    ] = None,
) -> None:
    """Verify the hash chain and the signed checkpoints; name the first broken record.

    Exit code 0 when intact, 1 when broken, 2 on unusable input."""
    if export_file is not None:
        if public_key is None:
            err.print("[red]--public-key is required with --export[/red]")
            raise typer.Exit(2)
        try:
            key = load_public_key(public_key.read_bytes())
            result = verify_export(export_file, key)
        except (OSError, ValueError, ExportFormatError) as error:
            err.print(f"[red]cannot verify:[/red] {error}")
            raise typer.Exit(2) from None
    else:
        with runtime() as rt:
            result = verify_database(rt.database, rt.signer.public_key)
    (out if result.ok else err).print(result.describe())
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    path: Annotated[Path, typer.Argument(help="File to write (.jsonl or .csv).")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="jsonl or csv (default: from the file name)."),
    ] = None,
) -> None:
    """Export the whole trail with its signed checkpoints (CSV: checkpoints in
    FILE.checkpoints.jsonl). Verify it with 'gouvernail audit verify --export'."""
    chosen = fmt or (ExportFormat.CSV if path.suffix.lower() == ".csv" else ExportFormat.JSONL)
    with runtime() as rt:
        from gouvernail.audit import events as ev

        count, closing = export(rt.database, rt.signer, path, chosen)
        rt.trail.record(
            console_context(),
            ev.AuditExported(
                object_id="audit",
                new={
                    "format": chosen.value,
                    "records": count,
                    "up_to_seq": closing.seq if closing else 0,
                    "file": path.name,
                },
            ),
        )
        out.print(
            f"{count} records written to {path}"
            + (f", closing checkpoint #{closing.seq}" if closing else "")
        )


@audit_app.command("public-key")
def audit_public_key() -> None:
    """Print the PEM public key that auditors use to verify exports offline."""
    with runtime() as rt:
        print(public_key_pem(rt.signer.public_key), end="")
