"""Deciding whether an incident may be a serious incident under the AI Act, and by when it must
then be reported: the rules are data (``observatory/data/serious_incidents.yaml``), validated
when loaded; ``assess`` turns an incident's facts into an ``Assessment`` that cites them.

Nothing here reads the database or stores anything: the service gathers the facts (the incident
and its use case's tier) and shows the assessment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gouvernail.observatory.incidents.models import Harm, Kind
from gouvernail.observatory.incidents.schemas import Assessment, Deadline, GdprNote, Reason

RULES_FILE = "data/serious_incidents.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Definition(_Strict):
    article: str
    text: str


class HarmSpec(_Strict):
    id: Harm
    article: str
    text: str


class When(_Strict):
    """Holds when any of what it names holds; an empty ``when`` always holds."""

    harms: list[Harm] = Field(default_factory=list)
    widespread: bool | None = None
    death: bool | None = None

    def holds(self, facts: Facts) -> bool:
        if not self.harms and self.widespread is None and self.death is None:
            return True
        return (
            bool(facts.harms.intersection(self.harms))
            or (self.widespread is not None and facts.widespread == self.widespread)
            or (self.death is not None and facts.death == self.death)
        )


class DeadlineRule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    article: str
    days: int = Field(ge=1, le=365)
    when: When
    text: str


class Note(_Strict):
    article: str
    text: str


class GdprRule(_Strict):
    kinds: list[Kind]
    article: str
    hours: int = Field(ge=1)
    source: str
    text: str


@dataclass(frozen=True)
class Facts:
    """What the rules look at: the use case's AI Act tier (None when no use case is linked or it
    is not classified) and the incident as recorded."""

    tier: str | None
    use_case: str | None
    kind: Kind
    harms: frozenset[Harm]
    widespread: bool
    death: bool
    detected_at: datetime


class SeriousIncidentRules(_Strict):
    """The rule set; every harm but ``none`` described once, deadline ids unique, and a deadline
    that always holds (a serious incident always has one)."""

    version: str = Field(max_length=80)
    source: str
    title: str
    high_risk_tiers: list[str] = Field(min_length=1)
    definition: Definition
    harms: list[HarmSpec]
    deadlines: list[DeadlineRule] = Field(min_length=1)
    notes: list[Note] = Field(default_factory=list)
    gdpr: GdprRule

    @model_validator(mode="after")
    def _complete(self) -> Self:
        described = [h.id for h in self.harms]
        expected = [h for h in Harm if h is not Harm.NONE]
        if sorted(described) != sorted(expected):
            raise ValueError(f"harms must describe each of {[h.value for h in expected]} once")
        ids = [d.id for d in self.deadlines]
        if len(set(ids)) != len(ids):
            raise ValueError("deadline ids must be unique")
        if not any(d.when == When() for d in self.deadlines):
            raise ValueError("one deadline must have an empty `when` (the general deadline)")
        return self

    @classmethod
    def load(cls, text: str | None = None) -> SeriousIncidentRules:
        """The rules from YAML ``text`` (the shipped file when None)."""
        if text is None:
            text = resources.files("gouvernail.observatory").joinpath(RULES_FILE).read_text()
        try:
            return cls.model_validate(yaml.safe_load(text))
        except (yaml.YAMLError, ValidationError) as error:
            raise ValueError(f"invalid serious-incident rules: {error}") from None

    @classmethod
    def builtin(cls) -> SeriousIncidentRules:
        """The shipped rules, parsed once per process (they are immutable data)."""
        return _builtin()

    def assess(self, facts: Facts) -> Assessment:
        harms = [
            Reason(rule=h.id.value, article=h.article, text=h.text)
            for h in self.harms
            if h.id in facts.harms
        ]
        high_risk = facts.tier in self.high_risk_tiers
        serious = high_risk and bool(harms)
        deadlines = (
            [
                Deadline(
                    rule=d.id,
                    article=d.article,
                    days=d.days,
                    due_at=facts.detected_at + timedelta(days=d.days),
                    text=d.text,
                )
                for d in self.deadlines
                if d.when.holds(facts)
            ]
            if serious
            else []
        )
        first = min(deadlines, key=lambda d: d.due_at) if deadlines else None
        gdpr = None
        if facts.kind in self.gdpr.kinds:
            gdpr = GdprNote(
                article=self.gdpr.article,
                hours=self.gdpr.hours,
                notify_by=facts.detected_at + timedelta(hours=self.gdpr.hours),
                text=self.gdpr.text,
                source=self.gdpr.source,
            )
        articles: list[str] = []
        if serious:
            articles = [self.definition.article, *(h.article for h in harms)]
            articles += [d.article for d in deadlines]
        return Assessment(
            possibly_serious=serious,
            articles=articles,
            harms=harms,
            deadlines=deadlines,
            report_by=first.due_at if first else None,
            report_within_days=first.days if first else None,
            notes=[Reason(rule="note", article=n.article, text=n.text) for n in self.notes]
            if serious
            else [],
            gdpr=gdpr,
            explanation=self._explain(facts, harms, first, gdpr),
            rules_version=self.version,
            source=self.source,
        )

    def _explain(
        self,
        facts: Facts,
        harms: list[Reason],
        first: Deadline | None,
        gdpr: GdprNote | None,
    ) -> str:
        tiers = " or ".join(self.high_risk_tiers)
        if facts.tier is None:
            where = (
                "no use case is linked"
                if facts.use_case is None
                else f"use case {facts.use_case!r} has no AI Act classification"
            )
            why_not = f"{where}: link a classified use case to know whether Art. 73 applies"
        else:
            why_not = f"use case {facts.use_case!r} is not high-risk (AI Act tier {facts.tier})"
        recorded = "; ".join(f"{h.text} ({h.article})" for h in harms)
        if first is not None:
            text = (
                f"Possibly a serious incident ({self.definition.article}): use case "
                f"{facts.use_case!r} is high-risk (AI Act tier {facts.tier}) and the incident "
                f"led to {recorded}. Report it to the market surveillance authority by "
                f"{first.due_at:%Y-%m-%d %H:%M} UTC ({first.article}: {first.text})."
            )
        elif not harms:
            text = f"Not a serious incident under {self.definition.article}: no harm recorded."
            if facts.tier not in self.high_risk_tiers:
                text += f" Besides, {why_not}."
        else:
            text = (
                f"Not flagged as a serious incident: it led to {recorded}, but {why_not}; "
                "the reporting duty of Art. 73 concerns high-risk AI systems "
                f"(AI Act tier {tiers})."
            )
        if gdpr is not None:
            text += (
                f" As a data leak, it {gdpr.text}; if so, notify by "
                f"{gdpr.notify_by:%Y-%m-%d %H:%M} UTC."
            )
        return f"{text} [rules {self.version}, {self.source}]"


@cache
def _builtin() -> SeriousIncidentRules:
    return SeriousIncidentRules.load()
