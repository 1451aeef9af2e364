"""How a unit's vote stands, as anyone may be shown it (`unit show`, its --json, a page).

Who has voted (the roll) is always shown; how, only where it is no secret: an open ballot's
counts as they go, a secret round's once the secretary has closed it. While a secret round
is open the counts are not hidden from the reader, they do not exist: the ballots are
sealed boxes that only the key file opens, at close (`states.ballot_box`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from models.cycle import Cycle, Level, Tally, Unit, VoterRoll
from models.organization import Member
from states.cycles import rules_of
from states.directory import Directory
from states.guards import Electorate
from states.machine import UnitState


@dataclass(frozen=True)
class RoundCount:
    """A closed round's counts per level (every level of the rule set, zeros included)."""

    round: int
    counts: dict[Level, int]


@dataclass(frozen=True)
class VoteStanding:
    """The vote of one unit: its current round, who has voted in it, and counts only where
    they may be known."""

    unit: str
    round: int
    ballot: str  # "secret" or "open", from the cycle's rule set
    open: bool  # the unit is in the vote stage: its current round takes ballots
    eligible: int
    voted: int
    roll: list[str]  # the codes of those who have voted in the current round, sorted
    # The current round's counts; None while a secret round is open (sealed until closed).
    counts: dict[Level, int] | None
    counted: list[RoundCount]  # every closed round of the unit, oldest first

    @property
    def sealed(self) -> bool:
        return self.counts is None


def vote_standing(session: Session, cycle: Cycle, unit: Unit) -> VoteStanding | None:
    """The unit's vote, or None before its first round opened and after nothing was counted."""
    assert unit.id is not None
    rules = rules_of(cycle)
    is_open = unit.state == UnitState.VOTE
    stored: dict[int, dict[Level, int]] = {}
    for round_, level, n in session.exec(
        select(Tally.round, Tally.level, Tally.count).where(Tally.unit_id == unit.id)
    ):
        stored.setdefault(round_, dict.fromkeys(rules.levels, 0))[Level(level)] = n
    if not is_open and not stored:
        return None
    roll = sorted(
        session.exec(
            select(Member.code)
            .join(VoterRoll, col(VoterRoll.voter_id) == col(Member.id))
            .where(VoterRoll.unit_id == unit.id, VoterRoll.round == unit.vote_round)
        )
    )
    secret_and_open = is_open and rules.vote.ballot == "secret"
    current = None if secret_and_open else stored.get(unit.vote_round, {})
    closed = [r for r in sorted(stored) if not (is_open and r == unit.vote_round)]
    electorate = Electorate(session, Directory.load(session))
    return VoteStanding(
        unit=unit.code,
        round=unit.vote_round,
        ballot=rules.vote.ballot,
        open=is_open,
        eligible=len(electorate.voters(unit)),
        voted=len(roll),
        roll=roll,
        counts=current,
        counted=[RoundCount(r, stored[r]) for r in closed],
    )


__all__ = ["RoundCount", "VoteStanding", "vote_standing"]
