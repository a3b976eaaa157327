"""EU AI Act classification: a questionnaire whose rules are versioned data (YAML), not code.

Public interface::

    from gouvernail.aiact import AiActClassifier, Classification, Questionnaire

    classifier = AiActClassifier.load_default()          # or runtime.aiact
    classifier.questionnaire(on=None, lang="fr")
    classifier.classify({"role": "deployer", ...}, on=None, ruleset=None) -> Classification

The rule sets live in ``rulesets/*.yaml`` (see docs/ai-act.md for how they are organised and
how to correct a date without code).
"""

from gouvernail.aiact.classifier import AiActClassifier
from gouvernail.aiact.results import (
    AppliedObligation,
    Classification,
    Questionnaire,
    Reason,
    RuleSetView,
    TransparencyDuty,
)
from gouvernail.aiact.ruleset import RuleSet, RuleSetError
from gouvernail.aiact.text import Lang, Text

__all__ = [
    "AiActClassifier",
    "AppliedObligation",
    "Classification",
    "Lang",
    "Questionnaire",
    "Reason",
    "RuleSet",
    "RuleSetError",
    "RuleSetView",
    "Text",
    "TransparencyDuty",
]
