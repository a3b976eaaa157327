"""The EU AI Act classifier: the questionnaire, and answers in -> classification out.

Loaded once per runtime from the shipped rule sets plus, if configured, the organisation's own
(``ai_act_rules_dir``). Pure and thread-safe: it holds only immutable rule sets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gouvernail.aiact.answers import walk
from gouvernail.aiact.catalogue import SHIPPED, Catalogue
from gouvernail.aiact.engine import Evaluation
from gouvernail.aiact.results import (
    ApplicationDateView,
    Classification,
    OptionView,
    Questionnaire,
    QuestionView,
    RuleSetView,
    SupersededView,
)
from gouvernail.aiact.ruleset import RuleSet
from gouvernail.aiact.text import Lang
from gouvernail.errors import GouvernailError


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class AiActClassifier:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    @classmethod
    def load_default(cls, rules_dir: Path | None = None) -> AiActClassifier:
        """The rule sets shipped with Gouvernail, plus the ``*.yaml`` files of ``rules_dir``
        (an organisation's corrections or new versions, setting ``ai_act_rules_dir``); raises
        ``RuleSetError`` naming the file at fault."""
        directories = [SHIPPED] if rules_dir is None else [SHIPPED, rules_dir]
        return cls(Catalogue.load(*directories))

    def ruleset(self, on: dt.date | None = None, version: str | None = None) -> RuleSet:
        """The rule set asked for by version, else the one in force on ``on`` (default today)."""
        if version is not None:
            return self.catalogue.get(version)
        return self.catalogue.in_force(on or today())

    def rulesets(self, on: dt.date | None = None) -> list[RuleSetView]:
        """Every rule set, oldest first, with its application dates and their sources."""
        try:
            current: str | None = self.ruleset(on).version
        except GouvernailError:  # no rule set in force on that date
            current = None
        views = []
        for ruleset in sorted(self.catalogue.rulesets.values(), key=lambda r: r.effective_from):
            views.append(
                RuleSetView(
                    version=ruleset.version,
                    title=ruleset.title,
                    effective_from=ruleset.effective_from,
                    source=ruleset.source,
                    extends=ruleset.extends,
                    replaces=ruleset.replaces,
                    replaced_by=self.catalogue.replaced_by(ruleset.version),
                    in_force=ruleset.version == current,
                    notes=ruleset.notes,
                    application_dates=[
                        ApplicationDateView(
                            key=key,
                            label=when.label,
                            date=when.date,
                            source=when.source,
                            amended=when.amended,
                            superseded=[
                                SupersededView(date=s.date, source=s.source)
                                for s in when.superseded
                            ],
                            note=when.note,
                        )
                        for key, when in sorted(
                            ruleset.application_dates.items(), key=lambda item: item[1].date
                        )
                    ],
                )
            )
        return views

    def questionnaire(
        self, on: dt.date | None = None, lang: Lang = "en", ruleset: str | None = None
    ) -> Questionnaire:
        """The questions of the rule set in force on ``on`` (or of ``ruleset``), in ``lang``."""
        rules = self.ruleset(on, ruleset)
        return Questionnaire(
            ruleset=rules.version,
            effective_from=rules.effective_from,
            lang=lang,
            questions=[
                QuestionView(
                    id=q.id,
                    kind=q.kind.value,
                    text=q.text.pick(lang),
                    help=q.help.pick(lang) if q.help else None,
                    options=[
                        OptionView(
                            value=o.value,
                            label=o.label.pick(lang),
                            help=o.help.pick(lang) if o.help else None,
                            article=o.article,
                            exclusive=o.exclusive,
                        )
                        for o in q.options
                    ],
                    allowed=q.allowed(),
                    neutral=q.neutral_answer,
                    ask_when=q.ask_when.as_data() if q.ask_when else None,
                    ends_when=q.ends_when.as_data() if q.ends_when else None,
                )
                for q in rules.questions
            ],
        )

    def classify(
        self,
        answers: Mapping[str, Any],
        on: dt.date | None = None,
        ruleset: str | None = None,
    ) -> Classification:
        """Classify the answers with the rule set in force on ``on`` (default today) or the one
        named; obligations say whether they already apply on ``on``. Raises a 422
        ``GouvernailError`` naming the question for unknown, invalid, missing or contradictory
        answers."""
        day = on or today()
        rules = self.ruleset(day, ruleset)
        evaluation = Evaluation(rules, walk(rules, answers))
        evaluation.run()
        return evaluation.classification(day)
