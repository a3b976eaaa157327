"""What every command group shares: the root Typer app, consoles, the runtime, the actor."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from gouvernail.audit import AuditContext
from gouvernail.audit.events import Actor
from gouvernail.errors import GouvernailError
from gouvernail.runtime import Runtime
from gouvernail.settings import Settings

app = typer.Typer(
    help="Gouvernail: control plane for responsible generative AI.\n\n"
    "Settings come from GOUVERNAIL_* environment variables or the YAML file named by "
    "GOUVERNAIL_CONFIG_FILE (see README, Configuration).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def group(name: str, help_text: str) -> typer.Typer:
    """A command group registered on the root app (one per module of this package)."""
    sub = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(sub, name=name)
    return sub


out = Console(soft_wrap=True)  # a line is never broken in a pipe (COLUMNS unset: 80)
err = Console(stderr=True)


def console_context() -> AuditContext:
    """CLI actions are recorded as the console operator (the OS account running them)."""
    user = getpass.getuser()
    return AuditContext(Actor(id=f"console:{user}", name=f"console operator {user}"), "cli")


@contextmanager
def runtime() -> Iterator[Runtime]:
    try:
        settings = Settings()
    except ValueError as error:
        err.print(f"[red]invalid settings:[/red] {error}")
        raise typer.Exit(2) from None
    rt = Runtime.build(settings)
    try:
        yield rt
    except GouvernailError as error:
        field = f" ({error.field})" if error.field else ""
        err.print(f"[red]error{field}:[/red] {error.message}")
        raise typer.Exit(1) from None
    finally:
        rt.close()


def read_password(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"{prompt}: ")
    if getpass.getpass("again: ") != first:
        err.print("[red]the passwords differ[/red]")
        raise typer.Exit(1)
    return first
