"""The data contract between detectors and everything that acts on what they find.

Detectors return ``Finding``s; they never decide and never act. A finding says *where* (offsets
into the inspected text), *what* (an entity type), *how sure* and *which detector*, and which data
class of the charter it implies. It never holds the matched text, so findings can be logged,
audited and returned by the API without leaking what they point at.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Finding:
    type: str
    """Entity type, upper-case: PERSON, EMAIL_ADDRESS, PHONE_NUMBER, IBAN_CODE, CREDIT_CARD,
    FR_NIR, FR_SIREN, FR_SIRET, HEALTH, CONFIDENTIAL_MARKER, PROMPT_INJECTION, ..."""
    start: int
    end: int
    """Character offsets into the inspected text (``text[start:end]``)."""
    score: float
    detector: str
    """Name of the detector (as registered) that produced it."""
    data_class: str
    """The charter data class this finding implies (from the detector registry's mapping)."""
    reason: str = ""
    """Why, without the matched text: the pattern or rule that fired (e.g. 'nir: checksum ok')."""


@dataclass(frozen=True, slots=True)
class TextPart:
    """One text-bearing part of a request, located by a JSON-path-like ``path``
    (``messages[2].content``, ``tools[0].function.description``, ``input[1]``)."""

    path: str
    text: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class PartFindings:
    path: str
    findings: tuple[Finding, ...]
    cached: bool = False
    """True when the part was already inspected earlier (same conversation): not rescanned."""


@dataclass(frozen=True, slots=True)
class InjectionVerdict:
    detected: bool
    score: float
    signals: tuple[str, ...] = ()
    """Names of the signals that fired (e.g. 'ignore_previous_instructions', 'homoglyphs')."""


@dataclass(frozen=True, slots=True)
class Inspection:
    parts: tuple[PartFindings, ...]
    data_class: str | None
    """The most sensitive class implied by a finding (None: nothing found)."""
    injection: InjectionVerdict
    elapsed_ms: float = 0.0
    detectors: tuple[str, ...] = field(default_factory=tuple)
    """Detectors that ran."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for part in self.parts for f in part.findings)
