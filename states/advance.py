"""The tick's own moves, set-based: one UPDATE … RETURNING per move, audit rows in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, false, func, insert, select, true, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from models.cycle import AuditEntry, Comment, Cycle, SelfReview, Unit
from states.machine import INDIVIDUAL, UnitState
from states.ordering import collective_reviewed_clause
from states.peer_review import opinions_settled_clause, settle_opinions
from states.remediation import all_remedied_clause, mark_overdue, owned_clause

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
        # The table, not the class: a Core executemany skips the ORM's bulk path and its
        # per-row cost (half of starting a 10,000-unit cycle's units).
        session.execute(
            insert(AuditEntry.__table__),  # type: ignore[attr-defined]
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


def discussed_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: a comment on the review now under discussion (a unit returned and
    resubmitted is discussed again, not carried to the vote by last round's comments)."""
    latest = (
        select(func.max(SelfReview.submitted_at))
        .where(col(SelfReview.unit_id) == col(Unit.id))
        .scalar_subquery()
    )
    return exists().where(col(Comment.unit_id) == col(Unit.id), col(Comment.at) >= latest)


def vote_ready_clauses() -> list[ColumnElement[bool]]:
    """SQL over `Unit`: the conditions of `open_vote` (the tick's, and a secretary's)."""
    return [discussed_clause(), opinions_settled_clause(), collective_reviewed_clause()]


def advance(*, session: Session, cycle: Cycle, now: datetime) -> dict[str, int]:
    """Do every move that is due now; return how many units each trigger moved.

    Votes are not closed here: the secretary closes each vote (states.voting).
    """
    moved: dict[str, int] = {}
    moved["start"] = _move(session, cycle, "start", UnitState.PLAN_ISSUED, now=now)
    moved["opinions_missing"] = settle_opinions(session, cycle, now)
    moved["open_vote"] = _move(
        session, cycle, "open_vote", UnitState.PEER_REVIEW, now=now, where=vote_ready_clauses()
    )
    moved["begin_remediation"] = _move(
        session,
        cycle,
        "begin_remediation",
        UnitState.PUBLISHED,
        now=now,
        where=[col(Unit.has_shortcomings) == true(), owned_clause()],
    )
    moved["close"] = _move(
        session,
        cycle,
        "close",
        UnitState.PUBLISHED,
        now=now,
        where=[col(Unit.has_shortcomings) == false()],
    )
    moved["shortcomings_overdue"] = mark_overdue(session, cycle, now)
    moved["finish_remediation"] = _move(
        session,
        cycle,
        "finish_remediation",
        UnitState.REMEDIATION,
        now=now,
        where=[all_remedied_clause()],
    )
    return moved


__all__ = ["advance", "discussed_clause", "vote_ready_clauses"]
