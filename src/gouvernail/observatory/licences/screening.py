"""What a person sent to an outside tool, checked against the charter's data rules with the
gateway's own detectors and ceiling: the tool may receive the classes the charter allows for
its hosting, up to its declared maximum (``gateway.rules.ceiling_for``); a finding above that
is a charter finding. A class the charter does not know ranks above every known one (fail
closed), as at the gateway."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from gouvernail.charter.rules import CharterRules
from gouvernail.gateway.rules import Ceiling, ceiling_for, ceiling_rank, sensitivity

if TYPE_CHECKING:
    from gouvernail.inspection import Inspector


@dataclass(frozen=True, slots=True)
class Screened:
    inspected: bool
    data_class: str | None
    over_ceiling: bool
    types: dict[str, int]
    """Entity type → findings (never the matched text)."""


class Screen:
    """Inspects messages sent to one tool (``inspector`` None: inspection is off)."""

    def __init__(
        self,
        inspector: Inspector | None,
        charter: CharterRules,
        *,
        hosting: str,
        max_data_class: str,
        mode: Literal["full", "fast"] = "full",
    ) -> None:
        self.inspector = inspector
        self.charter = charter
        self.mode = mode
        self.ceiling: Ceiling = ceiling_for(
            charter, hosting=hosting, model_max=max_data_class, use_case_max=None
        )
        self._limit = ceiling_rank(charter, self.ceiling)

    def __call__(self, text: str) -> Screened:
        if self.inspector is None:
            return Screened(False, None, False, {})
        if not text.strip():
            return Screened(True, None, False, {})
        inspection = self.inspector.inspect_text(
            text, mode=self.mode, rank=lambda name: sensitivity(self.charter, name)
        )
        findings = inspection.findings
        over = any(sensitivity(self.charter, f.data_class) > self._limit for f in findings)
        types = Counter(f.type for f in findings)
        return Screened(True, inspection.data_class, over, dict(sorted(types.items())))
