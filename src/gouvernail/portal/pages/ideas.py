"""Submitting an idea: the intake form with the qualification questions, live suggestions of
similar use cases while typing (join one, or justify a new one), and the AI-versus-automation
verdict explained. Without JavaScript the suggestions come back with the form when the
registry finds the idea similar to existing ones."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from gouvernail.api.deps import Rt, audit_context
from gouvernail.errors import GouvernailError
from gouvernail.identity.principal import Principal
from gouvernail.portal import once
from gouvernail.portal.forms import text_of
from gouvernail.portal.guards import Form, PageRequire, PortalRoute
from gouvernail.portal.i18n import _
from gouvernail.portal.templating import render
from gouvernail.registry.qualification import (
    AutomationAnswers,
    QualificationAnswers,
    automation_verdict,
    questions,
)
from gouvernail.registry.schemas import QualificationIn, UseCaseIn
from gouvernail.runtime import Runtime

router = APIRouter(route_class=PortalRoute, include_in_schema=False)

Submitter = Annotated[Principal, Depends(PageRequire("use_cases", "submit"))]

TEXTS = (
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
CHOICES = ("department", "sourcing", "preferred_hosting")
YES_NO = (
    "tied_to_priority_objective",
    "benefit_measurable",
    "benefit_validated_by_stakeholders",
    "rules_expressible",
    "learns_from_data",
    "needs_adaptation",
    "needs_autonomy",
    "unstructured_inputs",
)


def _values(form: FormData) -> dict[str, str]:
    """What the user typed, kept to re-display the form."""
    names = (*TEXTS, *CHOICES, *YES_NO, "priority_objective", "stakeholders")
    kept = {name: text_of(form, name, 20_000) for name in names}
    kept.update(
        expected_value=text_of(form, "expected_value", 2),
        skills_available=text_of(form, "skills_available", 2),
        duplicate_justification=text_of(form, "duplicate_justification", 5_000),
        ai_justification=text_of(form, "ai_justification", 2_000),
    )
    return kept


def _field_of(location: tuple[Any, ...], message: str) -> str:
    if location:
        return str(location[-1])
    head = message.split(":", 1)[0].strip()  # model validators name their field first
    return head if head.isidentifier() else "__all__"


def _parse(values: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The three models of the intake (the idea, the qualification, the automation check),
    or the message of each wrong field."""
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    idea = {name: values[name] for name in TEXTS if values[name]}
    idea.update({name: values[name] for name in CHOICES if values[name]})
    if values["duplicate_justification"]:
        idea["duplicate_justification"] = values["duplicate_justification"]
    yes = {name: values[name] == "yes" for name in YES_NO}
    for key, model, data in (
        ("idea", UseCaseIn, idea),
        (
            "qualification",
            QualificationAnswers,
            {
                "tied_to_priority_objective": yes["tied_to_priority_objective"],
                "priority_objective": values["priority_objective"],
                "benefit_measurable": yes["benefit_measurable"],
                "benefit_validated_by_stakeholders": yes["benefit_validated_by_stakeholders"],
                "stakeholders": values["stakeholders"],
                "expected_value": values["expected_value"] or None,
                "skills_available": values["skills_available"] or None,
            },
        ),
        (
            "automation",
            AutomationAnswers,
            {
                **{name: yes[name] for name in YES_NO[3:]},
                "ai_justification": values["ai_justification"],
            },
        ),
    ):
        try:
            parsed[key] = model.model_validate(data)
        except ValidationError as error:
            for problem in error.errors():
                message = str(problem["msg"]).removeprefix("Value error, ")
                field = _field_of(tuple(problem.get("loc", ())), message)
                errors.setdefault(field, message)
    return parsed, errors


def _form_page(
    request: Request,
    runtime: Runtime,
    principal: Principal,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    suggestions: list[Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    answers = None
    if any(values.get(name) for name in YES_NO[3:]):
        answers = automation_verdict(
            AutomationAnswers.model_validate(
                {name: values.get(name) == "yes" for name in YES_NO[3:]}
                | {"ai_justification": values.get("ai_justification", "")}
            )
        )
    return render(
        request,
        "ideas/new.html",
        {
            "title": _("Submit an idea"),
            "values": values,
            "errors": errors or {},
            "suggestions": suggestions or [],
            "verdict": answers,
            "questions": questions(),
            "team_options": [("", "—")]
            + [(team.slug, team.name) for team in runtime.directory.list_teams()],
            "form_id": text_of(request.query_params, "form_id", 64) or once.new_form_id(),
        },
        principal=principal,
        status=status,
    )


@router.get("/ideas/new")
def new_idea(request: Request, principal: Submitter, runtime: Rt) -> HTMLResponse:
    values = dict.fromkeys((*TEXTS, *CHOICES, *YES_NO), "")
    values.update(
        priority_objective="",
        stakeholders="",
        expected_value="",
        skills_available="",
        duplicate_justification="",
        ai_justification="",
        sourcing="strategic",
        title=text_of(request.query_params, "title", 200),
        description=text_of(request.query_params, "description", 20_000),
    )
    return _form_page(request, runtime, principal, values)


@router.post("/ideas/similar")
def similar(request: Request, principal: Submitter, runtime: Rt, form: Form) -> HTMLResponse:
    """The suggestions while typing (htmx swaps this fragment into the form)."""
    title, description = text_of(form, "title", 200), text_of(form, "description", 20_000)
    found = (
        runtime.use_cases.duplicates.suggest(title, description)
        if len(title) + len(description) >= 8
        else []
    )
    return render(request, "ideas/_suggestions.html", {"suggestions": found}, principal=principal)


@router.post("/ideas/verdict")
def verdict(request: Request, principal: Submitter, form: Form) -> HTMLResponse:
    """The AI-versus-automation verdict as the questions are answered (htmx fragment)."""
    answers = AutomationAnswers.model_validate(
        {name: form.get(name) == "yes" for name in YES_NO[3:]}
        | {"ai_justification": text_of(form, "ai_justification", 2_000)}
    )
    return render(
        request,
        "ideas/_verdict.html",
        {"verdict": automation_verdict(answers)},
        principal=principal,
    )


@router.post("/ideas")
def submit(request: Request, principal: Submitter, runtime: Rt, form: Form) -> Response:
    values = _values(form)
    parsed, errors = _parse(values)
    if errors:
        return _form_page(request, runtime, principal, values, errors=errors, status=422)
    ctx = audit_context(request, principal)

    def create() -> str:
        created = runtime.use_cases.submit(ctx, principal.user_id, parsed["idea"])
        runtime.use_cases.record_qualification(
            ctx,
            created.id,
            QualificationIn(
                version=created.version,
                qualification=parsed["qualification"],
                automation=parsed["automation"],
            ),
        )
        return f"/ideas/{created.id}/submitted"

    def refused(error: GouvernailError) -> Response:
        if error.code == "possible_duplicate":
            found = runtime.use_cases.duplicates.suggest(values["title"], values["description"])
            message = _(
                "Similar use cases exist. Join one of them, or explain why yours is different."
            )
            return _form_page(
                request,
                runtime,
                principal,
                values,
                errors={"duplicate_justification": message},
                suggestions=found,
                status=409,
            )
        field = error.field if error.field in values else "__all__"
        return _form_page(
            request, runtime, principal, values, errors={field: error.message}, status=error.status
        )

    done = once.submit(runtime.database, form, principal.user_id, create, refused)
    return done if isinstance(done, Response) else RedirectResponse(done, 303)


@router.get("/ideas/{use_case_id}/submitted")
def submitted(
    use_case_id: int, request: Request, principal: Submitter, runtime: Rt
) -> HTMLResponse:
    """What happens next: the reference, the verdict explained, what qualification still needs."""
    use_case = runtime.use_cases.get(use_case_id)
    return render(
        request,
        "ideas/submitted.html",
        {"title": _("Idea registered"), "use_case": use_case},
        principal=principal,
    )


@router.post("/use-cases/{use_case_id}/join")
def join(
    use_case_id: int, request: Request, principal: Submitter, runtime: Rt, form: Form
) -> Response:
    """Join an existing use case instead of submitting a duplicate."""
    reason = text_of(form, "reason", 2_000) or _("joined from the idea form instead of a duplicate")
    runtime.curation.add_member(
        audit_context(request, principal), use_case_id, principal.user_id, reason=reason
    )
    return RedirectResponse(f"/use-cases/{use_case_id}?done=joined", 303)
