"""``load_demo``: check that the demo may be loaded, then play it through the services.

The checks come first and write nothing: never in ``prod``; into an installation that holds
nothing but the bootstrap admin, unless ``force`` adds the demo next to existing data; a
password that every demo user's account accepts; data classes that the charter in force knows.
Loading then only adds: teams, people, memberships, use cases and meetings that exist (same
slug, username or title) are left untouched, so a second forced run adds nothing and an
interrupted one can be completed by running it again.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import func, select

from gouvernail.audit import AuditContext
from gouvernail.db.base import utcnow
from gouvernail.demo import insight, meetings, organisation, shadow, stories
from gouvernail.demo.agents import setup as reference_agents
from gouvernail.demo.run import DemoRun, one_hash
from gouvernail.demo.spec import DemoData, demo_data
from gouvernail.errors import ConflictError, GouvernailError
from gouvernail.identity.models import User
from gouvernail.registry.models import UseCase
from gouvernail.runtime import Runtime
from gouvernail.settings import Environment, Settings

BOOTSTRAP_ADMIN = "admin"


class DemoRefusedError(ConflictError):
    code = "demo_refused"


class DemoPerson(BaseModel):
    username: str
    name: str
    job: str
    team: str
    roles: list[str]
    training: str
    charter: str


class DemoUseCase(BaseModel):
    id: int
    title: str
    status: str
    tier: str | None
    flags: list[str]


@dataclass(frozen=True)
class DemoReport:
    """What the demo holds after loading, and what this run created."""

    organisation: str
    people: list[DemoPerson]
    use_cases: list[DemoUseCase]
    created: dict[str, int]
    seconds: float

    @property
    def statuses(self) -> dict[str, int]:
        return dict(Counter(use_case.status for use_case in self.use_cases))


def load_demo(rt: Runtime, ctx: AuditContext, password: str, *, force: bool = False) -> DemoReport:
    """Load the demo organisation with ``password`` for every demo user (see the module)."""
    started = time.perf_counter()
    data = demo_data()
    digest = check(rt, data, password, force=force)
    run = DemoRun(rt, ctx, password, today=utcnow().date(), force=force)
    with one_hash(rt.passwords, password, digest):
        organisation.load(run, data.organisation)
        inventory(run, data)
        known = stories.titles(run)
        ids = {story.key: known[story.title] for story in data.stories if story.title in known}
        cases = [stories.prepare(run, s) for s in data.stories if s.key not in ids]
        ids.update({case.story.key: case.id for case in cases})
        decided = [case for case in cases if case.story.committee == "previous"]
        if decided:
            meetings.previous(run, data.organisation.committee, decided)
        for case in cases:
            stories.complete(run, case)
        for case in cases:
            stories.link(run, case, ids)
        meetings.upcoming(run, data.organisation.committee)
        insight.load(run, ids["market-study-search"])
        reference_agents.load(run, ids["market-study-search"])
        shadow.load(run)
    return DemoReport(
        organisation=data.organisation.name,
        people=[
            DemoPerson(
                username=person.username,
                name=person.name,
                job=person.job,
                team=person.team,
                roles=person.roles,
                training=person.training,
                charter=person.charter,
            )
            for person in data.organisation.users
        ],
        use_cases=[summary(rt, ids[story.key]) for story in data.stories],
        created={what: count for what, count in run.created.items() if count},
        seconds=round(time.perf_counter() - started, 1),
    )


def summary(rt: Runtime, use_case_id: int) -> DemoUseCase:
    view = rt.use_cases.get(use_case_id)
    return DemoUseCase(
        id=view.id, title=view.title, status=view.status, tier=view.ai_act_tier, flags=view.flags
    )


def inventory(run: DemoRun, data: DemoData) -> None:
    """Add the demo vendors and models that do not exist yet (existing ones are not changed)."""
    vendors = {vendor.slug for vendor in run.rt.inventory.list_vendors()}
    models = {model.name for model in run.rt.inventory.list_models()}
    document = {
        "vendors": [v for v in data.inventory["vendors"] if v["slug"] not in vendors],
        "models": [m for m in data.inventory["models"] if m["name"] not in models],
    }
    if document["vendors"] or document["models"]:
        report = run.rt.inventory.load(
            run.ctx,
            document,
            source="gouvernail demo load",
            apply_status=True,
            reason="example inventory of the demo organisation",
        )
        run.created["inventory entries"] += len(report.created)


# --- checks (nothing is written before they pass) -------------------------------------------------


def check_environment(settings: Settings) -> None:
    """Never in production: the demo people sign in with a shared, printed password."""
    if settings.env is Environment.PROD:
        raise DemoRefusedError(
            "the demo is for exploration and refuses to run when env is prod: its people sign "
            "in with a shared, printed password"
        )


def check(rt: Runtime, data: DemoData, password: str, *, force: bool) -> str | None:
    """Refuse what must not be loaded; return the hash of the demo password that the demo
    users of an earlier load hold, if any."""
    check_environment(rt.settings)
    usernames = [person.username for person in data.organisation.users]
    for username in usernames:
        rt.passwords.check_policy(password, username=username)
    with rt.database.read() as session:
        others = session.scalar(
            select(func.count()).select_from(User).where(User.username != BOOTSTRAP_ADMIN)
        )
        use_cases = session.scalar(select(func.count()).select_from(UseCase))
        present = dict(
            session.execute(
                select(User.username, User.password_hash).where(User.username.in_(usernames))
            ).all()
        )
    if (others or use_cases) and not force:
        raise DemoRefusedError(
            f"the database already holds {others} user(s) besides the bootstrap admin and "
            f"{use_cases} use case(s): the demo is meant for an empty installation. Give --force "
            "to add it next to them (nothing is deleted or changed)"
        )
    check_data_classes(rt, data)
    digest = None
    for stored in sorted(set(present.values()), key=str):  # demo users share one hash
        if not rt.passwords.verify(stored, password):
            holders = sorted(name for name, value in present.items() if value == stored)
            raise DemoRefusedError(
                f"the demo user(s) {', '.join(holders)} exist with another password: give the "
                "password of the earlier demo load (--password-stdin) so that they can sign",
                field="password",
            )
        digest = stored
    return digest


def check_data_classes(rt: Runtime, data: DemoData) -> None:
    active = rt.charters.active()
    if active is None:
        return
    known = {data_class.name for data_class in active.rules.data_classes}
    used = {
        source["data_class"]
        for story in data.stories
        for source in story.intake.get("data_sources", [])
    } | {model["max_data_class"] for model in data.inventory["models"]}
    if used - known:
        raise GouvernailError(
            f"the charter in force ({active.number}) lacks the data classes "
            f"{sorted(used - known)} that the demo uses; load the demo into an installation whose "
            "charter has public, internal, confidential and secret"
        )
