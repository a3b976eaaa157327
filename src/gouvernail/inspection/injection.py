"""Prompt-injection and jailbreak signals, layered: normalisation (``normalise``), French and
English patterns from the registry, then an optional classifier hook."""

from __future__ import annotations

import re
from typing import Protocol

from gouvernail.inspection.findings import InjectionVerdict
from gouvernail.inspection.normalise import variants
from gouvernail.inspection.regexset import RegexSet
from gouvernail.inspection.registry import InjectionSpec

NOTHING = InjectionVerdict(detected=False, score=0.0, signals=())
OBFUSCATION_ONLY_SCORE = 0.3


class InjectionClassifier(Protocol):
    """A model that scores a normalised text: 0 (benign) to 1 (injection)."""

    def __call__(self, text: str) -> float: ...


class InjectionDetector:
    def __init__(self, spec: InjectionSpec, classifier: InjectionClassifier | None = None) -> None:
        self.threshold = spec.threshold
        self.bonus = spec.obfuscation_bonus
        self.classifier = classifier
        self._patterns = [(p.name, re.compile(p.regex), p.score) for p in spec.patterns]
        self._set = RegexSet([regex for _, regex, _ in self._patterns])

    def verdict(self, text: str) -> InjectionVerdict:
        if not text.strip():
            return NOTHING
        score = 0.0
        signals: list[str] = []
        forms = variants(text)
        for variant in forms:
            for index in self._set.candidates(variant.text):
                name, regex, pattern_score = self._patterns[index]
                if regex.search(variant.text) is None:
                    continue
                bonus = self.bonus if variant.signals else 0.0
                score = max(score, min(1.0, pattern_score + bonus))
                signals.extend(s for s in (name, *variant.signals) if s not in signals)
        if score == 0.0 and forms[0].signals:
            score = OBFUSCATION_ONLY_SCORE
            signals.extend(forms[0].signals)
        if self.classifier is not None:
            model = float(self.classifier(forms[0].text))
            if model >= self.threshold:
                signals.append("classifier")
            score = max(score, model)
        score = round(score, 3)
        return InjectionVerdict(score >= self.threshold, score, tuple(signals))


def combine(verdicts: list[InjectionVerdict]) -> InjectionVerdict:
    """One verdict for a request: the highest score, every signal."""
    fired = [v for v in verdicts if v.score > 0]
    if not fired:
        return NOTHING
    signals: list[str] = []
    for verdict in fired:
        signals.extend(s for s in verdict.signals if s not in signals)
    return InjectionVerdict(
        any(v.detected for v in fired), max(v.score for v in fired), tuple(signals)
    )
