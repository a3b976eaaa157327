"""Documentation packs from the console: a use case's technical documentation (EU AI Act Annex
IV outline) and the platform's validation pack, as Markdown or PDF. Generations are audited as
the console operator."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gouvernail.cli._common import console_context, err, group, runtime
from gouvernail.docpack import Format, Rendered

docs_app = group("docs", "Documentation packs: per use case (Annex IV), validation pack.")

FormatOption = Annotated[Format, typer.Option("--format", help="md (Markdown) or pdf.")]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="File to write. Default: Markdown on standard output, a PDF in the current "
        "directory under its own name.",
    ),
]


def _deliver(rendered: Rendered, output: Path | None) -> None:
    if output is None and rendered.filename.endswith(".md"):
        sys.stdout.write(rendered.body.decode("utf-8"))
        sys.stdout.flush()
        return
    target = output or Path(rendered.filename)
    target.write_bytes(rendered.body)
    err.print(f"{target} written (content SHA-256 {rendered.content_hash})", soft_wrap=True)


@docs_app.command("use-case")
def docs_use_case(
    use_case_id: Annotated[int, typer.Argument(help="Use case id.")],
    fmt: FormatOption = Format.MD,
    output: OutputOption = None,
) -> None:
    """The documentation pack of one use case: Annex IV outline, risks, approvals with their
    signature manifestations, audit history."""
    with runtime() as rt:
        _deliver(rt.documentation.use_case(console_context(), use_case_id, fmt), output)


@docs_app.command("validation-pack")
def docs_validation_pack(
    junit: Annotated[
        Path,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="JUnit XML of the test run of the installed version (pytest --junitxml).",
        ),
    ],
    fmt: FormatOption = Format.MD,
    output: OutputOption = None,
) -> None:
    """The platform's validation pack: requirements traced to the tests that cover them, with
    their results from the JUnit report."""
    with runtime() as rt:
        _deliver(rt.documentation.validation_pack(console_context(), fmt, junit=junit), output)
