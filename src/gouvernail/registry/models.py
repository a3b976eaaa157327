"""Tables of the use-case registry: use cases and what hangs off them.

Structured answers that are read and written as a whole (qualification, AI-versus-automation,
deployment answers, AI Act classification) are stored as canonical JSON; what other parts query
on its own (members, key results, data sources, links, transitions, approval decisions) has its
own table.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gouvernail.db.base import Base, UtcDateTime, utcnow


class Status(StrEnum):
    """The lifecycle of a use case, in order."""

    IDEA = "idea"
    QUALIFIED = "qualified"
    ASSESSED = "assessed"
    APPROVED = "approved"
    PILOT = "pilot"
    PRODUCTION = "production"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class Sourcing(StrEnum):
    """Build or buy: 'strategic' is built in-house, 'snackable' is a tool bought off the shelf."""

    STRATEGIC = "strategic"
    SNACKABLE = "snackable"


class Hosting(StrEnum):
    EXTERNAL_SAAS = "external_saas"
    EU_CLOUD = "eu_cloud"
    SELF_HOSTED = "self_hosted"


class MemberRole(StrEnum):
    OWNER = "owner"
    MEMBER = "member"


class LinkKind(StrEnum):
    RELATED = "related"
    DUPLICATE = "duplicate"
    MERGED_INTO = "merged_into"


TEXT_FIELDS = (
    "title",
    "description",
    "business_problem",
    "current_process",
    "target_process",
    "objective",
    "intended_users",
    "affected_people",
    "expected_benefit",
)
"""The free-text fields of a use case, copied as they are typed."""


class UseCase(Base):
    """The unit of governance. ``version`` changes on every write (optimistic concurrency);
    ``revision`` only when the content that signatures bind changes."""

    __tablename__ = "use_cases"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    business_problem: Mapped[str] = mapped_column(Text, default="")
    current_process: Mapped[str] = mapped_column(Text, default="")
    target_process: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    intended_users: Mapped[str] = mapped_column(Text, default="")
    affected_people: Mapped[str] = mapped_column(Text, default="")
    expected_benefit: Mapped[str] = mapped_column(Text, default="")
    sourcing: Mapped[str] = mapped_column(String(20))
    preferred_hosting: Mapped[str | None] = mapped_column(String(20))
    sandbox_of: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=Status.IDEA.value, index=True)
    previous_status: Mapped[str | None] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    qualification: Mapped[str] = mapped_column(Text, default="{}")
    automation: Mapped[str] = mapped_column(Text, default="{}")
    deployment: Mapped[str] = mapped_column(Text, default="{}")
    classification: Mapped[str | None] = mapped_column(Text)
    ai_act_tier: Mapped[str | None] = mapped_column(String(20), index=True)
    pilot_started_on: Mapped[date | None] = mapped_column(Date)
    pilot_end_date: Mapped[date | None] = mapped_column(Date)
    duplicate_justification: Mapped[str] = mapped_column(Text, default="")
    search_terms: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class UseCaseMember(Base):
    """Who works on a use case (and may get API keys for it)."""

    __tablename__ = "use_case_members"
    __table_args__ = (UniqueConstraint("use_case_id", "user_id", name="uq_use_case_members"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class KeyResult(Base):
    """A measurable key result of the use case's objective, and what was measured."""

    __tablename__ = "key_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    unit: Mapped[str] = mapped_column(String(40))
    baseline: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    due_on: Mapped[date] = mapped_column(Date)
    measured_value: Mapped[float | None] = mapped_column(Float)
    measured_on: Mapped[date | None] = mapped_column(Date)
    measurement_note: Mapped[str] = mapped_column(Text, default="")


class DataSource(Base):
    """A data source a use case needs, with its data owner, class and quality scores (1-5)."""

    __tablename__ = "data_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(500), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    data_class: Mapped[str] = mapped_column(String(40))
    available: Mapped[int | None] = mapped_column(Integer)
    relevance: Mapped[int | None] = mapped_column(Integer)
    completeness: Mapped[int | None] = mapped_column(Integer)
    recency: Mapped[int | None] = mapped_column(Integer)


class UseCaseLink(Base):
    """A link set by the committee or at intake: related, duplicate of, merged into."""

    __tablename__ = "use_case_links"
    __table_args__ = (UniqueConstraint("source_id", "target_id", "kind", name="uq_use_case_links"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Transition(Base):
    """One lifecycle transition, with who, when and why (the visible history)."""

    __tablename__ = "use_case_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApprovalDecision(Base):
    """A decision at one approval stage, bound to an electronic signature of one revision."""

    __tablename__ = "approval_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    workflow: Mapped[str] = mapped_column(String(60))
    stage: Mapped[str] = mapped_column(String(60))
    decision: Mapped[str] = mapped_column(String(20))
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PromptVersion(Base):
    """One saved version of a named prompt of a use case (a system prompt, a template): the
    text is never edited, a change is a new version."""

    __tablename__ = "prompt_versions"
    __table_args__ = (
        UniqueConstraint("use_case_id", "name", "version", name="uq_prompt_versions"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
