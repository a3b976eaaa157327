"""The one scoring rule of the risk register (documented in ``docs/risk-scoring.md``).

A risk is rated on a 5x5 matrix: likelihood (1 rare … 5 almost certain) times severity
(1 negligible … 5 catastrophic) gives a score from 1 to 25, and the score falls in one of four
levels. Every part of Gouvernail that needs a score or a level asks this module, so that the
register, the heat maps, the acceptance rule and the approval gate can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gouvernail.errors import GouvernailError

SCALE = range(1, 6)

LIKELIHOOD_LABELS = {
    1: "rare",
    2: "unlikely",
    3: "possible",
    4: "likely",
    5: "almost certain",
}
SEVERITY_LABELS = {
    1: "negligible",
    2: "minor",
    3: "moderate",
    4: "major",
    5: "catastrophic",
}


class Level(StrEnum):
    """Risk levels, from the least to the most serious (compare with ``rank``)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


# Lowest score of each level; a score belongs to the highest level whose floor it reaches.
# The products of two numbers from 1 to 5 are 1-6, 8, 9, 10, 12, 15, 16, 20 and 25, so the
# levels are low 1-4, medium 5-9, high 10-16, critical 20-25.
FLOORS = ((Level.CRITICAL, 20), (Level.HIGH, 10), (Level.MEDIUM, 5), (Level.LOW, 1))


@dataclass(frozen=True)
class Rating:
    """A likelihood and a severity, with the score and level they give."""

    likelihood: int
    severity: int

    def __post_init__(self) -> None:
        if self.likelihood not in SCALE or self.severity not in SCALE:
            raise ValueError(f"likelihood and severity are 1 to 5, not {self}")

    @property
    def score(self) -> int:
        return self.likelihood * self.severity

    @property
    def level(self) -> Level:
        return level_of(self.score)


def level_of(score: int) -> Level:
    if not 1 <= score <= 25:
        raise ValueError(f"a risk score is from 1 to 25, not {score}")
    return next(level for level, floor in FLOORS if score >= floor)


def matrix() -> list[list[Level]]:
    """The 5x5 matrix of levels: ``matrix()[severity - 1][likelihood - 1]``."""
    return [[level_of(s * lk) for lk in SCALE] for s in SCALE]


def check_residual(inherent: Rating, residual: Rating) -> None:
    """Mitigation reduces a risk or leaves it as it is: a residual score above the inherent
    score is refused (it would mean the mitigation itself is a new risk: record that one)."""
    if residual.score > inherent.score:
        raise GouvernailError(
            f"the residual score {residual.score} ({residual.likelihood} x {residual.severity}) "
            f"exceeds the inherent score {inherent.score} "
            f"({inherent.likelihood} x {inherent.severity}); a mitigation cannot raise a risk",
            field="residual_likelihood",
        )
