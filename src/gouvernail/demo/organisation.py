"""The demo organisation: teams, people, training, the charter and its acceptance, the committee's
members and the named referents. Whatever already exists (same slug, username, membership,
acceptance...) is left as it is."""

from __future__ import annotations

import csv
import io

from gouvernail.demo.run import DemoRun
from gouvernail.demo.spec import CharterSpec, CommitteeSpec, Organisation, ReferentSpec, UserSpec

AGE_DAYS = {"expired": 400, "expiring": 350}  # yearly modules lapsed, or lapsing within weeks


def load(run: DemoRun, spec: Organisation) -> None:
    teams(run, spec)
    people(run, spec)
    trainings(run, spec.users)
    charter(run, spec.charter, spec.users)
    committee(run, spec.committee)
    referents(run, spec.referents)


def teams(run: DemoRun, spec: Organisation) -> None:
    existing = {team.slug for team in run.rt.directory.list_teams()}
    for team in spec.teams:
        if team.slug not in existing:
            run.rt.directory.create_team(
                run.ctx, slug=team.slug, name=team.name, kind=team.kind, parent=team.parent
            )
            run.created["teams"] += 1


def people(run: DemoRun, spec: Organisation) -> None:
    """Create the demo users with the demo password (no change required: they are there to be
    signed in as); keep those that exist."""
    existing = {user.username: user for user in run.rt.directory.list_users()}
    for person in spec.users:
        user = existing.get(person.username)
        if user is None:
            user = run.rt.directory.create_user(
                run.ctx,
                username=person.username,
                display_name=person.name,
                email=f"{person.username}@{spec.email_domain}",
                team=person.team,
                level=person.level,
                roles=person.roles,
                password=run.password,
            )
            run.created["users"] += 1
        run.users[person.username] = user


def trainings(run: DemoRun, people: list[UserSpec]) -> None:
    """Load the shipped training modules, then import the completions as a learning platform
    would export them: recent for most people, about a year old for some (expiring, expired),
    none for new joiners (missing). People who already have completions are left out."""
    literacy = run.rt.literacy
    run.created["training modules"] += len(literacy.load_modules(run.ctx))
    rows: list[list[object]] = []
    for index, person in enumerate(people):
        user = run.user(person.username)
        if person.training == "missing" or literacy.completions(user_id=user.id, limit=1):
            continue
        age = AGE_DAYS.get(person.training, 20 + index * 37 % 240)
        for module in literacy.trainings(user.id).missing_required:
            rows.append(
                [
                    user.email,
                    module,
                    run.day(-age),
                    72 + index * 7 % 28,
                    f"HLP-{index:03d}-{module}",
                ]
            )
    if not rows:
        return
    text = io.StringIO()
    export = csv.writer(text)
    export.writerow(["email", "course_code", "completion_date", "score", "certificate"])
    export.writerows(rows)
    report = literacy.import_file(
        run.ctx, text.getvalue().encode(), filename="helvia-learning-platform-export.csv"
    )
    run.created["training completions"] += report.imported


def charter(run: DemoRun, spec: CharterSpec, people: list[UserSpec]) -> None:
    """Put the shipped charter in force if none is (approved by the committee's chair first),
    then have the people marked ``accepted`` accept it with their signature."""
    charters = run.rt.charters
    if charters.active() is None:
        draft = charters.load_default(run.ctx, spec.language)
        run.rt.signatures.sign(
            run.principal(spec.approved_by),
            object_type="charter_version",
            object_id=str(draft.id),
            meaning="approved",
            reason="adopted by the AI governance committee",
            password=run.password,
            request_id=run.request_id,
        )
        charters.activate(run.ctx, draft.id, reason="adopted by the AI governance committee")
        run.created["charter versions"] += 1
    for person in people:
        user = run.user(person.username)
        if person.charter == "accepted" and not charters.accepted_by(user.id):
            charters.accept(
                run.principal(person.username), password=run.password, request_id=run.request_id
            )
            run.created["charter acceptances"] += 1


def committee(run: DemoRun, spec: CommitteeSpec) -> None:
    members = run.rt.committee.members
    current = {member.username for member in members.list()}
    for member in spec.members:
        if member.user not in current:
            members.add(
                run.ctx,
                username=member.user,
                role=member.role,
                reason="appointed when the AI governance committee was set up",
                since=run.day(-spec.since_days_ago),
            )
            run.created["committee members"] += 1


def referents(run: DemoRun, spec: list[ReferentSpec]) -> None:
    service = run.rt.committee.referents
    for referent in spec:
        named = service.of_team(referent.team).current
        if any(r.kind == referent.kind and r.username == referent.user for r in named):
            continue
        service.assign(
            run.ctx,
            referent.team,
            referent.kind,
            username=referent.user,
            reason=f"named {referent.kind.replace('_', ' ')} of {referent.team}",
        )
        run.created["referents"] += 1
