"""committee meetings and team referents

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gouvernail.db.base import UtcDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "committee_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("voting", sa.Boolean(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_committee_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_members")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_committee_members_user_id"), "committee_members", ["user_id"], unique=False
    )

    op.create_table(
        "committee_meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scheduled_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("minutes_revision", sa.Integer(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("held_at", UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_meetings")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_committee_meetings_scheduled_at"),
        "committee_meetings",
        ["scheduled_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_committee_meetings_status"), "committee_meetings", ["status"], unique=False
    )

    op.create_table(
        "committee_attendance",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("presence", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["committee_meetings.id"],
            name=op.f("fk_committee_attendance_meeting_id_committee_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_committee_attendance_user_id_users")
        ),
        sa.PrimaryKeyConstraint("meeting_id", "user_id", name=op.f("pk_committee_attendance")),
    )

    op.create_table(
        "committee_agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("use_case_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("approval_decision_id", sa.Integer(), nullable=True),
        sa.Column("transition_id", sa.Integer(), nullable=True),
        sa.Column("added_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approval_decision_id"],
            ["approval_decisions.id"],
            name=op.f("fk_committee_agenda_items_approval_decision_id_approval_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["committee_meetings.id"],
            name=op.f("fk_committee_agenda_items_meeting_id_committee_meetings"),
        ),
        sa.ForeignKeyConstraint(
            ["transition_id"],
            ["use_case_transitions.id"],
            name=op.f("fk_committee_agenda_items_transition_id_use_case_transitions"),
        ),
        sa.ForeignKeyConstraint(
            ["use_case_id"],
            ["use_cases.id"],
            name=op.f("fk_committee_agenda_items_use_case_id_use_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_agenda_items")),
        sa.UniqueConstraint("meeting_id", "use_case_id", name="uq_committee_agenda_items_use_case"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_committee_agenda_items_meeting_id"),
        "committee_agenda_items",
        ["meeting_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_committee_agenda_items_use_case_id"),
        "committee_agenda_items",
        ["use_case_id"],
        unique=False,
    )

    op.create_table(
        "committee_minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("edited_by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["committee_meetings.id"],
            name=op.f("fk_committee_minutes_meeting_id_committee_meetings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_minutes")),
        sa.UniqueConstraint("meeting_id", "revision", name="uq_committee_minutes_revision"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_committee_minutes_meeting_id"), "committee_minutes", ["meeting_id"], unique=False
    )

    op.create_table(
        "team_referents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("since", UtcDateTime(timezone=True), nullable=False),
        sa.Column("until", UtcDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_referents_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_team_referents_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_referents")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_team_referents_team_id"), "team_referents", ["team_id"], unique=False)
    op.create_index(op.f("ix_team_referents_user_id"), "team_referents", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_team_referents_user_id"), table_name="team_referents")
    op.drop_index(op.f("ix_team_referents_team_id"), table_name="team_referents")
    op.drop_table("team_referents")
    op.drop_index(op.f("ix_committee_minutes_meeting_id"), table_name="committee_minutes")
    op.drop_table("committee_minutes")
    op.drop_index(
        op.f("ix_committee_agenda_items_use_case_id"), table_name="committee_agenda_items"
    )
    op.drop_index(op.f("ix_committee_agenda_items_meeting_id"), table_name="committee_agenda_items")
    op.drop_table("committee_agenda_items")
    op.drop_table("committee_attendance")
    op.drop_index(op.f("ix_committee_meetings_status"), table_name="committee_meetings")
    op.drop_index(op.f("ix_committee_meetings_scheduled_at"), table_name="committee_meetings")
    op.drop_table("committee_meetings")
    op.drop_index(op.f("ix_committee_members_user_id"), table_name="committee_members")
    op.drop_table("committee_members")
