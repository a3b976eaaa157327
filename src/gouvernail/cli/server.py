"""Serving, bootstrapping, configuration and the database schema."""

from __future__ import annotations

import ctypes
import os
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer

from gouvernail.cli._common import (
    app,
    console_context,
    err,
    group,
    out,
    runtime,
)
from gouvernail.db import migrate
from gouvernail.settings import Settings

db_app = group("db", "Database schema.")


# --- serve ----------------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings, 8080).")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (one per CPU for the gateway); more than one needs "
            "GOUVERNAIL_REDIS_URL, so that budgets and rate limits are shared.",
        ),
    ] = 1,
) -> None:
    """Run the server (API, OpenAPI at /docs, metrics at /metrics)."""
    import uvicorn

    from gouvernail.app import create_app

    try:
        settings = Settings()
    except ValueError as error:
        err.print(f"[red]refusing to start:[/red] {error}")
        raise typer.Exit(2) from None
    if workers > 1 and not settings.redis_url:
        err.print(
            "[red]refusing to start:[/red] several workers need a shared quota store: "
            "set GOUVERNAIL_REDIS_URL"
        )
        raise typer.Exit(2)
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        "log_level": "warning",
        "access_log": False,
        "loop": "uvloop",
        "http": "httptools",
    }
    fewer_malloc_arenas()
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
    else:  # each worker process builds its own app from the same environment
        uvicorn.run("gouvernail.app:app_from_environment", factory=True, workers=workers, **options)


M_ARENA_MAX = -8  # glibc's mallopt parameter
DEFAULT_MALLOC_ARENAS = 2


def fewer_malloc_arenas() -> bool:
    """glibc gives threads that allocate their own malloc arenas (up to eight per core), each
    keeping memory it freed; the server's threads (event loop, audit writer, HTTP client, thread
    pool) take turns on the interpreter lock anyway, so two arenas serve them (about 10 MB less
    resident under load, benchmarks/README.md). ``MALLOC_ARENA_MAX`` set in the environment
    wins; worker processes inherit it. Whether the setting took (False off glibc)."""
    wanted = os.environ.setdefault("MALLOC_ARENA_MAX", str(DEFAULT_MALLOC_ARENAS))
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, int(wanted)))
    except (OSError, AttributeError, ValueError):  # not glibc, or not a number
        return False


@app.command()
def bootstrap(
    charter: Annotated[
        Path | None, typer.Option(help="Charter YAML to load and put in force if none is in force.")
    ] = None,
) -> None:
    """Prepare a fresh installation: migrate the database, create the shipped AI-literacy
    training modules that do not exist yet, load and activate the charter if none is in force,
    and create an 'admin' account if there is no user (its one-time password is printed once
    and must be changed at first sign-in). Safe to run again."""
    with runtime() as rt:
        migrate.upgrade(rt.database)
        ctx = console_context()
        created = rt.literacy.load_modules(ctx, None)
        if created:
            out.print(f"training modules created: {', '.join(m.code for m in created)}")
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
