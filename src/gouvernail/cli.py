"""The ``gouvernail`` command: a thin layer over the same services as the API.

Its help text is the reference: ``gouvernail --help``, ``gouvernail <group> --help``.
"""

from __future__ import annotations

import getpass
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gouvernail.audit import AuditContext
from gouvernail.audit.events import Actor
from gouvernail.audit.export import ExportFormat, ExportFormatError, export, verify_export
from gouvernail.audit.signing import load_public_key, public_key_pem
from gouvernail.audit.verify import verify_database
from gouvernail.db import migrate
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
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users (never deleted: deactivated).", no_args_is_help=True)
team_app = typer.Typer(help="Teams, departments and business units.", no_args_is_help=True)
key_app = typer.Typer(help="API keys (shown once, stored hashed).", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
charter_app = typer.Typer(help="The acceptable-use charter.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (user_app, "user"),
    (team_app, "team"),
    (key_app, "key"),
    (audit_app, "audit"),
    (charter_app, "charter"),
):
    app.add_typer(sub, name=name)

out = Console()
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


def _read_password(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"{prompt}: ")
    if getpass.getpass("again: ") != first:
        err.print("[red]the passwords differ[/red]")
        raise typer.Exit(1)
    return first


# --- serve ----------------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings, 8080).")] = None,
) -> None:
    """Run the server (API, OpenAPI at /docs, metrics at /metrics)."""
    import uvicorn

    from gouvernail.app import create_app

    try:
        settings = Settings()
    except ValueError as error:
        err.print(f"[red]refusing to start:[/red] {error}")
        raise typer.Exit(2) from None
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="warning",
        access_log=False,
    )


@app.command()
def bootstrap(
    charter: Annotated[
        Path | None, typer.Option(help="Charter YAML to load and put in force if none is in force.")
    ] = None,
) -> None:
    """Prepare a fresh installation: migrate the database, load and activate the charter if
    none is in force, and create an 'admin' account if there is no user (its one-time password
    is printed once and must be changed at first sign-in). Safe to run again."""
    with runtime() as rt:
        migrate.upgrade(rt.database)
        ctx = console_context()
        if charter is not None and rt.charters.active() is None:
            draft = rt.charters.load_file(ctx, charter)
            rt.charters.activate(
                ctx, draft.id, reason=f"bootstrap from {charter.name}", require_approval=False
            )
            out.print(f"charter {draft.number} loaded and in force")
        if not rt.directory.list_users():
            password = secrets.token_urlsafe(12)
            rt.directory.create_user(
                ctx,
                username="admin",
                display_name="Administrator",
                roles=["admin"],
                password=password,
                must_change_password=True,
            )
            out.print(
                f"created user [bold]admin[/bold] with one-time password "
                f"[bold]{password}[/bold] (change it at first sign-in: "
                "POST /api/v1/auth/password)"
            )


@app.command("openapi")
def openapi_spec(
    path: Annotated[Path, typer.Argument(help="Where to write the OpenAPI JSON.")],
) -> None:
    """Write the OpenAPI description of the API (the API reference)."""
    import json

    from gouvernail.app import create_app

    application = create_app(Settings())
    try:
        spec = application.openapi()
    finally:
        application.state.runtime.close()
    path.write_text(json.dumps(spec, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    out.print(f"OpenAPI written to {path}")


@app.command("config")
def show_config() -> None:
    """Print the effective settings, secrets masked."""
    import json

    out.print_json(json.dumps(Settings().masked(), default=str))


# --- db -------------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create or migrate the database schema."""
    with runtime() as rt:
        migrate.upgrade(rt.database, revision)
        current, head = migrate.status(rt.database)
        out.print(f"database at revision {current} (newest: {head})")


@db_app.command("status")
def db_status() -> None:
    """Show the schema revision of the database and the newest one shipped."""
    with runtime() as rt:
        current, head = migrate.status(rt.database)
        out.print(f"database: {current or 'empty'}; newest: {head}")
        if current != head:
            raise typer.Exit(1)


# --- teams ----------------------------------------------------------------------------------------


@team_app.command("add")
def team_add(
    slug: Annotated[str, typer.Argument(help="Short unique id, e.g. 'rd-oncology'.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    kind: Annotated[str, typer.Option(help="business_unit, department or team.")] = "department",
    parent: Annotated[str | None, typer.Option(help="Slug of the parent team.")] = None,
) -> None:
    """Create a team."""
    with runtime() as rt:
        team = rt.directory.create_team(
            console_context(), slug=slug, name=name, kind=kind, parent=parent
        )
        out.print(f"team {team.slug} created (id {team.id})")


@team_app.command("list")
def team_list() -> None:
    """List teams."""
    with runtime() as rt:
        table = Table("id", "slug", "name", "kind", "parent")
        for team in rt.directory.list_teams():
            table.add_row(str(team.id), team.slug, team.name, team.kind, team.parent_slug or "")
        out.print(table)


# --- users ----------------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name; never changed, never reused.")],
    name: Annotated[str, typer.Option(help="Printed name, shown on signatures.")],
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
    team: Annotated[str | None, typer.Option(help="Team slug.")] = None,
    role: Annotated[list[str] | None, typer.Option(help="Role (repeatable).")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No local password (single sign-on only).")
    ] = False,
) -> None:
    """Create a user. The password must be changed at first sign-in."""
    password = None if no_password else _read_password("password", password_stdin)
    with runtime() as rt:
        user = rt.directory.create_user(
            console_context(),
            username=username,
            display_name=name,
            email=email,
            team=team,
            roles=role or [],
            password=password,
            must_change_password=password is not None,
        )
        out.print(f"user {user.username} created (id {user.id}, roles {user.roles or '-'})")


@user_app.command("list")
def user_list(
    active_only: Annotated[bool, typer.Option(help="Hide deactivated users.")] = False,
) -> None:
    """List users."""
    with runtime() as rt:
        table = Table("id", "username", "printed name", "team", "roles", "status")
        for user in rt.directory.list_users(include_inactive=not active_only):
            status = "active" if user.is_active else "deactivated"
            if user.locked_until:
                status += f", locked until {user.locked_until:%Y-%m-%d %H:%M} UTC"
            table.add_row(
                str(user.id),
                user.username,
                user.display_name,
                user.team_slug or "",
                ", ".join(user.roles),
                status,
            )
        out.print(table)


@user_app.command("deactivate")
def user_deactivate(
    user_id: Annotated[int, typer.Argument(help="User id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
) -> None:
    """Deactivate a user: sessions and API keys end at once."""
    with runtime() as rt:
        user = rt.directory.set_active(console_context(), user_id, active=False, reason=reason)
        out.print(f"user {user.username} deactivated")


@user_app.command("unlock")
def user_unlock(
    user_id: Annotated[int, typer.Argument(help="User id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
) -> None:
    """Unlock an account locked after failed sign-ins."""
    with runtime() as rt:
        user = rt.directory.unlock(console_context(), user_id, reason=reason)
        out.print(f"user {user.username} unlocked")


# --- keys -----------------------------------------------------------------------------------------


@key_app.command("create")
def key_create(
    username: Annotated[str, typer.Argument(help="Owner of the key.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    days: Annotated[int | None, typer.Option(help="Lifetime in days (default: settings).")] = None,
) -> None:
    """Create an API key. The secret is printed once and never stored."""
    with runtime() as rt:
        owner = next((u for u in rt.directory.list_users() if u.username == username), None)
        if owner is None:
            raise GouvernailError(f"no user {username!r}", field="username")
        created = rt.keys.create(console_context(), user_id=owner.id, name=name, days=days)
        out.print(
            f"key {created.key.prefix} (id {created.key.id}) expires "
            f"{created.key.expires_at:%Y-%m-%d}; secret, shown once:"
        )
        print(created.secret)


@key_app.command("list")
def key_list(
    username: Annotated[str | None, typer.Option(help="Only this user's keys.")] = None,
) -> None:
    """List API keys (prefixes only; secrets are never stored)."""
    with runtime() as rt:
        table = Table("id", "prefix", "name", "owner", "expires", "status", "last used")
        for key in rt.keys.list():
            if username and key.username != username:
                continue
            status = f"revoked: {key.revoked_reason}" if key.revoked_at else "active"
            last = f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never"
            table.add_row(
                str(key.id),
                key.prefix,
                key.name,
                key.username,
                f"{key.expires_at:%Y-%m-%d}",
                status,
                last,
            )
        out.print(table)


@key_app.command("revoke")
def key_revoke(
    key_id: Annotated[int, typer.Argument(help="Key id.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")],
) -> None:
    """Revoke an API key; refused on its next use."""
    with runtime() as rt:
        key = rt.keys.revoke(console_context(), key_id, reason=reason)
        out.print(f"key {key.prefix} revoked")


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


# --- charter --------------------------------------------------------------------------------------


@charter_app.command("load")
def charter_load(
    path: Annotated[Path, typer.Argument(help="YAML with number, title, body, rules.")],
    activate: Annotated[
        bool,
        typer.Option(
            help="Put it in force at once, without the approval signature (bootstrap only; "
            "recorded as such)."
        ),
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "loaded",
) -> None:
    """Draft a charter version from a YAML file."""
    with runtime() as rt:
        draft = rt.charters.load_file(console_context(), path)
        out.print(f"charter {draft.number} drafted (id {draft.id})")
        if activate:
            rt.charters.activate(console_context(), draft.id, reason=reason, require_approval=False)
            out.print(f"charter {draft.number} is in force")


@charter_app.command("list")
def charter_list() -> None:
    """List charter versions."""
    with runtime() as rt:
        table = Table("id", "number", "title", "status", "revision")
        for version in rt.charters.list():
            table.add_row(
                str(version.id),
                version.number,
                version.title,
                version.status,
                str(version.revision),
            )
        out.print(table)


def main() -> None:
    app()
