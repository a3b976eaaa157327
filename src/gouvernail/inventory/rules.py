"""The inventory's rules: lifecycle transitions, consistency of a model's declaration, the
charter's data classes, and what an approval requires.

Each check returns ``Problem`` values (the field at fault and what to fix) instead of raising,
so that the API can refuse with every reason at once and an import can report each entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from gouvernail.charter.rules import Hosting
from gouvernail.charter.service import CharterView
from gouvernail.errors import GouvernailError
from gouvernail.inventory.values import (
    GuaranteeKind,
    ModelSpec,
    ModelStatus,
    ProviderKind,
)

S = ModelStatus
TRANSITIONS: dict[ModelStatus, frozenset[ModelStatus]] = {
    S.CANDIDATE: frozenset({S.APPROVED, S.RETIRED}),
    S.APPROVED: frozenset({S.SUSPENDED, S.RETIRED}),
    S.SUSPENDED: frozenset({S.APPROVED, S.RETIRED}),
    S.RETIRED: frozenset(),
}

# Fields whose change alters what data goes where, or under which terms: on an approved model
# they need a new decision (suspend, edit, approve again), never a silent edit.
GOVERNED_FIELDS = (
    "vendor",
    "provider_kind",
    "upstream_model",
    "endpoint",
    "hosting",
    "region",
    "retention_days",
    "no_training",
    "max_data_class",
)


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def refuse(problems: Sequence[Problem], *, code: str | None = None) -> None:
    """Raise one 400 naming the first field at fault and listing every problem."""
    if problems:
        raise GouvernailError(
            "; ".join(str(p) for p in problems), field=problems[0].field, code=code
        )


def model_problems(spec: ModelSpec) -> list[Problem]:
    """Rules relating several fields of one declaration."""
    problems: list[Problem] = []
    azure = spec.provider_kind is ProviderKind.AZURE_OPENAI
    endpoint = spec.endpoint
    if azure and not (endpoint.azure_deployment and endpoint.azure_api_version):
        problems.append(
            Problem("endpoint", "azure_openai needs azure_deployment and azure_api_version")
        )
    if not azure and (endpoint.azure_deployment or endpoint.azure_api_version):
        problems.append(
            Problem("endpoint", "azure_deployment and azure_api_version are for azure_openai only")
        )
    if leaves_company(spec.hosting) and not endpoint.base_url.startswith("https://"):
        problems.append(
            Problem("endpoint.base_url", f"a {spec.hosting} model must be reached over https")
        )
    if leaves_company(spec.hosting) and spec.credential_ref is None:
        problems.append(
            Problem("credential_ref", f"a {spec.hosting} model needs the name of its key variable")
        )
    if spec.pricing is None and spec.infrastructure is None:
        problems.append(
            Problem("pricing", "declare a price (per_token or flat_rate) or an infrastructure cost")
        )
    if (
        spec.pricing is not None
        and spec.infrastructure is not None
        and spec.pricing.currency != spec.infrastructure.currency
    ):
        problems.append(Problem("infrastructure.currency", "must be the currency of the pricing"))
    if spec.name in spec.fallback_models:
        problems.append(Problem("fallback_models", "a model cannot be its own fallback"))
    return problems


def leaves_company(hosting: Hosting) -> bool:
    return hosting is not Hosting.SELF_HOSTED


def data_class_problems(spec: ModelSpec, charter: CharterView | None) -> list[Problem]:
    """``max_data_class`` must be a class of the charter in force, and the charter must let a
    model of this hosting receive it (its ``model_eligibility``, or ``may_leave_company``)."""
    if charter is None:
        return []
    rules = charter.rules
    if spec.max_data_class not in rules.class_names:
        return [
            Problem(
                "max_data_class",
                f"unknown data class {spec.max_data_class!r}: charter {charter.number} "
                f"defines {', '.join(rules.class_names)}",
            )
        ]
    if not rules.may_receive(spec.max_data_class, spec.hosting):
        allowed = [c for c in rules.class_names if rules.may_receive(c, spec.hosting)]
        return [
            Problem(
                "max_data_class",
                f"charter {charter.number} does not let a {spec.hosting} model receive "
                f"{spec.max_data_class!r} data; allowed for this hosting: "
                f"{', '.join(allowed) or 'none'}",
            )
        ]
    return []


def transition_problem(current: ModelStatus, target: ModelStatus) -> str | None:
    if target in TRANSITIONS[current]:
        return None
    allowed = sorted(TRANSITIONS[current])
    return (
        f"a {current} model cannot become {target}; "
        f"allowed: {', '.join(allowed) if allowed else 'none (retired is final)'}"
    )


@dataclass(frozen=True)
class VendorFacts:
    """What the approval of a model needs to know about its vendor."""

    slug: str
    dpa_signed_on: date | None
    has_exit_plan: bool
    active_guarantees: frozenset[GuaranteeKind]
    overdue: tuple[str, ...]  # descriptions of guarantees past their review date


@dataclass(frozen=True)
class Concern:
    message: str
    blocks_approval: bool = True


def concerns(
    spec: ModelSpec, vendor: VendorFacts, fallback_status: Mapping[str, str]
) -> list[Concern]:
    """What stands in the way of approving (or keeping) this model, in plain words. A
    fallback that is not approved only warns: the gateway skips it."""
    found = [Concern(f"review overdue: {item}") for item in vendor.overdue]
    if leaves_company(spec.hosting):
        if vendor.dpa_signed_on is None:
            found.append(Concern(f"no data processing agreement (DPA) signed with {vendor.slug}"))
        if spec.no_training and GuaranteeKind.NO_TRAINING not in vendor.active_guarantees:
            found.append(
                Concern(
                    f"no_training is declared but {vendor.slug} has no active no_training guarantee"
                )
            )
    if not vendor.has_exit_plan:
        found.append(Concern(f"vendor {vendor.slug} has no exit plan"))
    if spec.model_card is None:
        found.append(Concern("no model card"))
    for name in spec.fallback_models:
        status = fallback_status.get(name, "unknown")
        if status != ModelStatus.APPROVED:
            found.append(Concern(f"fallback {name} is {status}: the gateway will skip it", False))
    return found


def validation_problems(error: ValidationError, prefix: str = "") -> list[Problem]:
    """Pydantic's errors as problems: the dotted path of each field and the message only (the
    rejected input is never echoed: it may be a key pasted in the wrong field)."""
    problems = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        where = ".".join(part for part in (prefix, path) if part) or "body"
        problems.append(Problem(where, item["msg"]))
    return problems
