"""Inspection: detectors over the text-bearing parts of a request.

``Inspector.load(files)`` builds the detector registry from the shipped ``detectors.yaml`` and
an administrator's files; ``inspect`` (async, memoised, NER batched across requests),
``inspect_text`` (sync) and ``fast_findings`` (cheap pass, for streamed output) return
``Finding``s that never hold the matched text. See docs/inspection.md.
"""

from gouvernail.inspection.findings import (
    Finding,
    InjectionVerdict,
    Inspection,
    PartFindings,
    TextPart,
)
from gouvernail.inspection.injection import InjectionClassifier
from gouvernail.inspection.inspector import Inspector, Mode, Rank, most_sensitive
from gouvernail.inspection.namelist import HELD_OUT_LOCALES
from gouvernail.inspection.registry import Registry

__all__ = [
    "HELD_OUT_LOCALES",
    "Finding",
    "InjectionClassifier",
    "InjectionVerdict",
    "Inspection",
    "Inspector",
    "Mode",
    "PartFindings",
    "Rank",
    "Registry",
    "TextPart",
    "most_sensitive",
]
