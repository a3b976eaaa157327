"""What a job can be: a kind names its handler, the parameters it takes (a pydantic model), who
may ask for it on demand, and how often it is tried.

A handler is a coroutine given the runtime and the job's context. It must be safe to run again
after a crash: the work it does is either idempotent or resumes from what it committed (a shadow
import resumes from its last committed segment, an evaluation run from its last scored case). It
calls ``job.checkpoint()`` between units of work, which raises ``Interrupted`` when the job was
cancelled or its lease was lost (another worker took it over), and may report ``job.progress``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from gouvernail.audit import AuditContext
from gouvernail.errors import GouvernailError

if TYPE_CHECKING:
    from gouvernail.runtime import Runtime


class NoParameters(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Interrupted(Exception):  # noqa: N818 - a state, not an error
    """The job was cancelled, or another worker took it over: stop at once, commit nothing more."""


@dataclass
class JobContext:
    """What a running handler knows of its job. ``cancel_requested`` and ``lease_lost`` are set
    by the worker's heartbeat."""

    id: int
    kind: str
    parameters: BaseModel
    attempt: int
    audit: AuditContext
    """Who the job acts for in the audit trail: the user who asked, the schedule's owner, or
    the system for housekeeping."""
    user_id: int | None
    max_attempts: int = 1
    cancel_requested: bool = False
    lease_lost: bool = False
    note: dict[str, Any] | None = None

    def checkpoint(self) -> None:
        if self.lease_lost:
            raise Interrupted("another worker took the job over (its lease expired)")
        if self.cancel_requested:
            raise Interrupted("cancelled")

    def progress(self, **note: Any) -> None:
        """Saved with the next heartbeat (``done``, ``total``, a phase...)."""
        self.note = note


Handler = Callable[["Runtime", JobContext], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class Kind:
    name: str
    summary: str
    handler: Handler = field(repr=False)
    parameters: type[BaseModel] = NoParameters
    right: tuple[str, str] | None = None
    """The right to ask for it through ``POST /api/v1/jobs`` or a schedule; ``None``: only
    the product enqueues it (an upload route, a built-in schedule)."""
    max_attempts: int = 3


class Kinds:
    def __init__(self, kinds: Iterable[Kind]) -> None:
        self._kinds = {kind.name: kind for kind in kinds}

    def __iter__(self) -> Any:
        return iter(sorted(self._kinds.values(), key=lambda kind: kind.name))

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def get(self, name: str) -> Kind:
        kind = self._kinds.get(name)
        if kind is None:
            known = ", ".join(sorted(self._kinds))
            raise GouvernailError(
                f"unknown job kind {name!r}: known kinds are {known}", field="kind"
            )
        return kind

    def add(self, kind: Kind) -> None:
        self._kinds[kind.name] = kind
