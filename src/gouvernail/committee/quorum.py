"""The quorum rule of the committee (setting ``committee_quorum``) and the quorum a meeting has.

``majority`` needs more than half of the voting members, ``two_thirds`` at least two thirds,
``all`` every one of them, and a number N at least N of them. A committee without voting members
never has a quorum.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

NAMED = frozenset({"majority", "two_thirds", "all"})


class QuorumView(BaseModel):
    rule: str
    voting_members: int
    voting_present: int
    required: int
    reached: bool

    def describe(self) -> str:
        return (
            f"{self.voting_present} of {self.voting_members} voting members present; "
            f"the quorum ({self.rule}) needs {self.required}"
        )


@dataclass(frozen=True)
class QuorumRule:
    rule: str

    def __post_init__(self) -> None:
        if self.rule not in NAMED and not (self.rule.isdigit() and int(self.rule) > 0):
            raise ValueError(
                f"committee_quorum: {self.rule!r} is not majority, two_thirds, all or N"
            )

    def required(self, voting_members: int) -> int:
        """How many voting members must be present (never fewer than one)."""
        if self.rule == "majority":
            needed = voting_members // 2 + 1
        elif self.rule == "two_thirds":
            needed = -(-2 * voting_members // 3)
        elif self.rule == "all":
            needed = voting_members
        else:
            needed = int(self.rule)
        return max(needed, 1)

    def assess(self, voting_members: int, voting_present: int) -> QuorumView:
        required = self.required(voting_members)
        return QuorumView(
            rule=self.rule,
            voting_members=voting_members,
            voting_present=voting_present,
            required=required,
            reached=voting_members > 0 and voting_present >= required,
        )
