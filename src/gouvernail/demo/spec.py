"""The shape of the demo data (``demo/data/*.yaml``), validated when loaded.

Only what the demo adds to the services' own inputs is modelled here: who does what, which
status a story reaches, and dates relative to the day of loading. The intake, qualification,
classification, GxP and deployment parts are passed to the services, which validate them with
their own schemas.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gouvernail.errors import GouvernailError
from gouvernail.registry.models import Status

DATA = Path(__file__).with_name("data")
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- organisation -------------------------------------------------------------------------------


class TeamSpec(Spec):
    slug: str
    name: str
    kind: str
    parent: str | None = None


class UserSpec(Spec):
    username: str
    name: str
    job: str
    team: str
    level: str
    roles: list[str]
    training: Literal["current", "expiring", "expired", "missing"] = "current"
    charter: Literal["accepted", "pending"] = "accepted"


class CharterSpec(Spec):
    language: str
    approved_by: str


class MemberSpec(Spec):
    user: str
    role: str


class AttendeeSpec(Spec):
    user: str
    presence: str


class TopicSpec(Spec):
    title: str
    why: str
    notes: str


class PreviousMeeting(Spec):
    title: str
    days_ago: int = Field(ge=1)
    location: str
    attendance: list[AttendeeSpec]
    topics: list[TopicSpec] = []
    minutes: str
    approved_by: str


class NextMeeting(Spec):
    title: str
    in_days: int = Field(ge=1)
    location: str


class CommitteeSpec(Spec):
    since_days_ago: int = Field(ge=1)
    members: list[MemberSpec]
    previous: PreviousMeeting
    next: NextMeeting


class ReferentSpec(Spec):
    team: str
    kind: str
    user: str


class Organisation(Spec):
    name: str
    email_domain: str
    teams: list[TeamSpec]
    users: list[UserSpec]
    charter: CharterSpec
    committee: CommitteeSpec
    referents: list[ReferentSpec]


# --- use cases ----------------------------------------------------------------------------------


class Measured(Spec):
    value: float
    days_ago: int = Field(ge=0)
    note: str


class KeyResultSpec(Spec):
    description: str
    unit: str
    baseline: float
    target: float
    due_in_days: int
    measured: Measured | None = None


class RiskSpec(Spec):
    """A risk from the library (``library``: its id) or written out (category, title, ...)."""

    library: str | None = None
    category: str | None = None
    title: str | None = None
    description: str = ""
    likelihood: int | None = None
    severity: int | None = None
    owner: str | None = Field(None, description="Username; default: the requester.")
    mitigation: str
    residual: tuple[int, int]
    review_in_days: int | None = None
    status: Literal["mitigated", "accepted"] | None = None


class ApprovalSpec(Spec):
    stage: str
    by: str
    comment: str
    decision: Literal["approve", "reject"] = "approve"


class PilotSpec(Spec):
    started_days_ago: int = Field(ge=1)
    ends_days_ago: int | None = Field(None, ge=1)
    ends_in_days: int | None = Field(None, ge=1)


class LinkSpec(Spec):
    to: str
    kind: Literal["related", "duplicate"]
    reason: str


class StorySpec(Spec):
    key: str
    status: Status
    requester: str
    intake: dict[str, Any]
    key_results: list[KeyResultSpec] = []
    qualification: dict[str, Any] | None = None
    classification: dict[str, Any] | None = None
    risks: list[RiskSpec] = []
    gxp: dict[str, Any] | None = None
    deployment: dict[str, Any] | None = None
    approvals: list[ApprovalSpec] = []
    committee: Literal["previous"] | None = None
    committee_notes: str = ""
    pilot: PilotSpec | None = None
    rehearsed_days_ago: int | None = None
    suspension: str | None = None
    links: list[LinkSpec] = []

    @property
    def title(self) -> str:
        return str(self.intake["title"])


class Stories(Spec):
    use_cases: list[StorySpec]


class DemoData(Spec):
    organisation: Organisation
    stories: list[StorySpec]
    inventory: dict[str, Any]


def _read(name: str) -> Any:
    path = DATA / name
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)  # noqa: S506 - safe
    except (OSError, yaml.YAMLError) as error:
        raise GouvernailError(f"cannot read the demo data {path}: {error}") from None


@cache
def demo_data() -> DemoData:
    """The demo data shipped with Gouvernail (read once per process)."""
    try:
        return DemoData(
            organisation=Organisation.model_validate(_read("organisation.yaml")),
            stories=Stories.model_validate(_read("use_cases.yaml")).use_cases,
            inventory=_read("inventory.yaml"),
        )
    except ValidationError as error:
        raise GouvernailError(f"the demo data is invalid: {error}") from None
