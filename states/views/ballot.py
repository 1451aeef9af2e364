"""One voter's ballot: may this person vote on this unit now, and have they already?"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models.cycle import Level, UnitKind
from models.errors import InvalidMove, Refusal
from states.cycles import get_cycle, get_member, get_units, rules_of
from states.guards import PERSON_GUARDS
from states.machine import machine_for
from states.views._common import as_refusals, context, names_of
from states.voting import held_in


@dataclass(frozen=True)
class BallotView:
    cycle: str
    unit: str
    unit_name: str
    kind: UnitKind
    held_in: str
    round: int
    ballot: str  # secret | open
    levels: list[Level]
    proposed_level: Level | None
    score: int | None
    may_vote: bool
    already_voted: bool
    # Why the person may not vote now (empty when they may).
    refusals: list[Refusal]


def ballot_view(session: Session, cycle_code: str, unit_code: str, voter_code: str) -> BallotView:
    """The ballot paper of `voter_code` for the unit, checked by the guards `vote` is."""
    cycle = get_cycle(session, cycle_code)
    unit = get_units(session, cycle, [unit_code])[0]
    voter = get_member(session, voter_code)
    ctx = context(session, cycle, voter, [unit])
    rules = rules_of(cycle)
    refusals: list[Refusal] = []
    try:
        move = machine_for(unit.kind).move("vote", unit.state)
    except InvalidMove as exc:
        refusals += [Refusal(r.code, unit=unit.code, fields=r.fields) for r in exc.refusals]
        conditions: tuple[str, ...] = ()
    else:
        conditions = move.conditions
    already = unit.id in ctx.voted_unit_ids
    for condition in conditions:
        if condition == "has_not_voted" and already:
            continue  # said by already_voted: the page thanks them, it does not scold
        problem = PERSON_GUARDS[condition](ctx, unit)
        if problem is not None:
            refusals += as_refusals([problem], unit.code)
    return BallotView(
        cycle=cycle.code,
        unit=unit.code,
        unit_name=names_of(session, [unit], ctx.directory)[unit.id or 0],
        kind=unit.kind,
        held_in=held_in(ctx.directory, unit).name,
        round=unit.vote_round,
        ballot=rules.vote.ballot,
        levels=list(rules.levels),
        proposed_level=unit.proposed_level,
        score=unit.score,
        may_vote=not refusals and not already,
        already_voted=already,
        refusals=refusals,
    )
