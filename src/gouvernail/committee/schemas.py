"""Request bodies of the committee and referents API: strict (unknown fields refused), bounded.

Every change to a meeting names the ``version`` it was made from (409 when it moved on); minutes
name the minutes revision they were edited from.
"""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, Field

from gouvernail.api.schemas import Reason, Strict

Version = Field(ge=1, description="The meeting version you edited (409 if it changed since).")


class MemberIn(Strict):
    username: str = Field(max_length=64)
    role: str = Field(description="chair, member, secretary or expert")
    voting: bool | None = Field(
        None, description="Default: chair and member vote; secretary and expert do not."
    )
    since: date | None = Field(None, description="First day of the membership; default today.")
    reason: str = Field(min_length=1, max_length=2000, description="Why (kept in the audit).")


class MemberEndIn(Reason):
    until: date | None = Field(None, description="First day no longer a member; default today.")


class MeetingIn(Strict):
    title: str = Field(max_length=200)
    scheduled_at: AwareDatetime = Field(description="Date and time with its UTC offset.")
    location: str = Field("", max_length=500, description="Room or video-conference link.")


class MeetingPatch(Reason):
    version: int = Version
    title: str | None = Field(None, max_length=200)
    scheduled_at: AwareDatetime | None = None
    location: str | None = Field(None, max_length=500)


class VersionIn(Strict):
    version: int = Version


class VersionReason(Reason):
    version: int = Version


class AttendeeIn(Strict):
    username: str = Field(max_length=64)
    presence: str = Field(description="present, excused or absent")


class AttendanceIn(Strict):
    version: int = Version
    attendees: list[AttendeeIn] = Field(max_length=500)
    reason: str = Field("", max_length=2000)


class AgendaItemIn(Strict):
    version: int = Version
    use_case_id: int | None = Field(None, description="A use case, or give a topic instead.")
    topic: str = Field("", max_length=200, description="A free topic.")
    why: str = Field("", max_length=2000, description="Why it is on the agenda.")


class AgendaOrderIn(Strict):
    version: int = Version
    item_ids: list[int] = Field(max_length=500, description="Every item id, first to last.")


class AgendaItemPatch(Strict):
    version: int = Version
    notes: str | None = Field(None, description="Discussion notes (Markdown).")
    outcome: str | None = Field(
        None,
        description="approved, rejected, deferred, information or suspension_requested "
        "(needs a held meeting and a reason).",
    )
    approval_decision_id: int | None = Field(
        None, description="The registry approval decision that implemented the outcome."
    )
    transition_id: int | None = Field(
        None, description="The lifecycle transition that implemented the outcome."
    )
    reason: str = Field("", max_length=2000)


class MinutesIn(Strict):
    version: int = Field(ge=0, description="The minutes revision you edited (0: the first).")
    body: str = Field(max_length=200_000, description="The minutes, in Markdown.")
    reason: str = Field(min_length=1, max_length=2000)


class MinutesApproveIn(Strict):
    version: int = Field(ge=1, description="The minutes revision you reviewed.")
    password: str | None = Field(
        None,
        max_length=1024,
        description="Your password; SSO users re-authenticate instead (GET /auth/oidc/reauth).",
    )
    reason: str = Field("", max_length=2000)


class ReferentIn(Reason):
    username: str = Field(max_length=64)
