"""Teams, users and API keys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gouvernail.cli._common import (
    console_context,
    group,
    out,
    read_password,
    runtime,
)

team_app = group("team", "Teams, departments and business units.")
user_app = group("user", "Users (never deleted: deactivated).")
key_app = group("key", "API keys (shown once, stored hashed).")


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
    password = None if no_password else read_password("password", password_stdin)
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
    use_case: Annotated[
        int | None, typer.Option(help="Use case id the key calls the gateway for.")
    ] = None,
) -> None:
    """Create an API key. The secret is printed once and never stored."""
    with runtime() as rt:
        owner = rt.directory.by_username(username)
        created = rt.keys.create(
            console_context(), user_id=owner.id, name=name, days=days, use_case_id=use_case
        )
        out.print(
            f"key {created.key.prefix} (id {created.key.id}) expires "
            f"{created.key.expires_at:%Y-%m-%d}; secret, shown once:"
        )
        print(created.secret)


@key_app.command("import")
def key_import(
    username: Annotated[str, typer.Argument(help="Owner of the key.")],
    name: Annotated[str, typer.Option(help="What the key is for.")],
    secret_file: Annotated[
        Path,
        typer.Option(
            help="File holding the secret another gateway issued ('-' reads standard input); "
            "never on the command line, where other users could read it.",
            allow_dash=True,
        ),
    ],
    use_case: Annotated[
        int | None, typer.Option(help="Use case id the key calls the gateway for.")
    ] = None,
    days: Annotated[int | None, typer.Option(help="Lifetime in days (default: settings).")] = None,
) -> None:
    """Import a key another gateway issued (e.g. a LiteLLM sk-… key) so that its clients keep
    working during a migration: stored as SHA-256, listed under a gx_ prefix, audited."""
    raw = sys.stdin.read() if str(secret_file) == "-" else secret_file.read_text(encoding="utf-8")
    with runtime() as rt:
        owner = rt.directory.by_username(username)
        created = rt.keys.import_key(
            console_context(),
            secret=raw.strip(),
            user_id=owner.id,
            name=name,
            days=days,
            use_case_id=use_case,
        )
        out.print(
            f"key {created.key.prefix} (id {created.key.id}) imported, expires "
            f"{created.key.expires_at:%Y-%m-%d}"
        )


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
