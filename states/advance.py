"""The tick's own moves, set-based: one UPDATE … RETURNING per move, audit rows in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, false, func, insert, true, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from models._sql import chunks
from models.cycle import AuditEntry, Ballot, Comment, Cycle, Level, StageDeadline, Unit
from states.cycles import rules_of
from states.directory import Directory
from states.guards import Electorate
from states.machine import INDIVIDUAL, UnitState

TICK = "tick"


def _move(
    session: Session,
    cycle: Cycle,
    trigger: str,
    source: UnitState,
    *,
    now: datetime,
    where: Sequence[ColumnElement[bool]] = (),
    values: dict[str, Any] | None = None,
    reason: str | None = None,
) -> int:
    """Move every unit of the cycle in `source` matching `where`; the table names the dest."""
    move = INDIVIDUAL.move(trigger, source)  # both machines share the tick's moves
    assert move.by == "tick" and move.dest is not None
    statement = (
        update(Unit)
        .where(col(Unit.cycle_id) == cycle.id, col(Unit.state) == source.value, *where)
        .values(state=move.dest.value, updated_at=now, **(values or {}))
        .returning(col(Unit.id))
        .execution_options(synchronize_session=False)
    )
    ids = list(session.execute(statement).scalars())
    if ids:
        session.execute(
            insert(AuditEntry),
            [
                {
                    "unit_id": i,
                    "at": now,
                    "actor": TICK,
                    "trigger": trigger,
                    "from_state": source.value,
                    "to_state": move.dest.value,
                    "reason": reason,
                }
                for i in ids
            ],
        )
    return len(ids)


def _carried_votes(session: Session, cycle: Cycle, now: datetime) -> dict[Level, list[int]]:
    """Units whose vote is decided, by the level decided.

    A vote is decided when every eligible voter has voted, or when its due time has passed
    with more than the rule set's quorum of them voting. The level is the highest one that
    more than the rule set's majority of the ballots support (a ballot for "good" supports
    "completed" too), so a split vote lands on a level a majority stands behind.
    """
    rules = rules_of(cycle).vote
    units = session.exec(
        select(Unit).where(Unit.cycle_id == cycle.id, Unit.state == UnitState.VOTE.value)
    ).all()
    if not units:
        return {}
    ids = [u.id for u in units]
    tallies: dict[int, dict[Level, int]] = defaultdict(dict)
    due: dict[int, datetime] = {}
    for chunk in chunks(ids):
        for unit_id, level, n in session.exec(
            select(Ballot.unit_id, Ballot.level, func.count())
            .where(col(Ballot.unit_id).in_(chunk))
            .group_by(col(Ballot.unit_id), col(Ballot.level))
        ):
            tallies[unit_id][Level(level)] = n
        for unit_id, due_at in session.exec(
            select(StageDeadline.unit_id, StageDeadline.due_at).where(
                col(StageDeadline.unit_id).in_(chunk), StageDeadline.stage == "vote"
            )
        ):
            due[unit_id] = due_at
    electorate = Electorate(session, Directory.load(session)).load_all()
    decided: dict[Level, list[int]] = defaultdict(list)
    for unit in units:
        assert unit.id is not None
        eligible = len(electorate.voters(unit))
        tally = tallies.get(unit.id, {})
        cast = sum(tally.values())
        if eligible == 0:
            decided[unit.proposed_level or Level.COMPLETED].append(unit.id)
            continue
        past_due = now >= due.get(unit.id, now)
        closing = cast >= eligible or (past_due and cast > rules.quorum * eligible)
        if not closing:
            continue
        support = 0
        for level in Level:  # from excellent down
            support += tally.get(level, 0)
            if support > rules.majority * cast:
                decided[level].append(unit.id)
                break
    return decided


def advance(*, session: Session, cycle: Cycle, now: datetime) -> dict[str, int]:
    """Do every move that is due now; return how many units each trigger moved."""
    moved: dict[str, int] = {}
    moved["start"] = _move(session, cycle, "start", UnitState.PLAN_ISSUED, now=now)
    commented = exists().where(col(Comment.unit_id) == col(Unit.id))
    moved["open_vote"] = _move(
        session, cycle, "open_vote", UnitState.PEER_REVIEW, now=now, where=[commented]
    )
    closed = 0
    for level, ids in _carried_votes(session, cycle, now).items():
        for chunk in chunks(ids):
            closed += _move(
                session,
                cycle,
                "close_vote",
                UnitState.VOTE,
                now=now,
                where=[col(Unit.id).in_(chunk)],
                values={"proposed_level": level},
            )
    moved["close_vote"] = closed
    moved["begin_remediation"] = _move(
        session,
        cycle,
        "begin_remediation",
        UnitState.PUBLISHED,
        now=now,
        where=[col(Unit.has_shortcomings) == true()],
    )
    moved["close"] = _move(
        session,
        cycle,
        "close",
        UnitState.PUBLISHED,
        now=now,
        where=[col(Unit.has_shortcomings) == false()],
    )
    return moved


__all__ = ["advance"]
