"""Database triggers that make records immutable where Part 11 requires it.

- ``audit_records``, ``audit_checkpoints`` and ``signatures``: no UPDATE, no DELETE.
- ``users``: no DELETE (deactivate instead) and no change of ``username`` or ``id``.

The guards live in the database itself, so that no code path (ours or an operator's SQL
console without superuser rights to drop triggers) can rewrite history.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

APPEND_ONLY = ("audit_records", "audit_checkpoints", "signatures")


def _sqlite_statements() -> list[str]:
    statements = []
    for table in APPEND_ONLY:
        for verb in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )
    statements.append(
        "CREATE TRIGGER users_no_delete BEFORE DELETE ON users "
        "BEGIN SELECT RAISE(ABORT, 'users are never deleted: deactivate instead'); END"
    )
    statements.append(
        "CREATE TRIGGER users_no_rename BEFORE UPDATE OF id, username ON users "
        "WHEN NEW.id IS NOT OLD.id OR NEW.username IS NOT OLD.username "
        "BEGIN SELECT RAISE(ABORT, 'user ids and usernames are never changed'); END"
    )
    return statements


def _postgresql_statements() -> list[str]:
    statements = [
        """
        CREATE FUNCTION gouvernail_refuse_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql
        """,
        """
        CREATE FUNCTION gouvernail_guard_user() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'users are never deleted: deactivate instead'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.id <> OLD.id OR NEW.username <> OLD.username THEN
                RAISE EXCEPTION 'user ids and usernames are never changed'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """,
        "CREATE TRIGGER users_guard BEFORE UPDATE OR DELETE ON users "
        "FOR EACH ROW EXECUTE FUNCTION gouvernail_guard_user()",
    ]
    for table in APPEND_ONLY:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION gouvernail_refuse_change()"
        )
    return statements


def create_guards(connection: Connection) -> None:
    dialect = connection.dialect.name
    statements = _sqlite_statements() if dialect == "sqlite" else _postgresql_statements()
    for statement in statements:
        connection.execute(text(statement))


def drop_guards(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for table in APPEND_ONLY:
            for verb in ("update", "delete"):
                connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
        connection.execute(text("DROP TRIGGER IF EXISTS users_no_delete"))
        connection.execute(text("DROP TRIGGER IF EXISTS users_no_rename"))
        return
    for table in APPEND_ONLY:
        connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
    connection.execute(text("DROP TRIGGER IF EXISTS users_guard ON users"))
    connection.execute(text("DROP FUNCTION IF EXISTS gouvernail_refuse_change()"))
    connection.execute(text("DROP FUNCTION IF EXISTS gouvernail_guard_user()"))
