"""The tick's part in remediation: overdue items, and the clauses its moves wait on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from models.cycle import Cycle, Unit
from models.remediation import Shortcoming
from states.remediation._common import R, _split


def mark_overdue(session: Session, cycle: Cycle, now: datetime) -> int:
    """The tick: shortcomings past their due date and not remedied become overdue."""
    statement = (
        update(Shortcoming)
        .where(
            col(Shortcoming.cycle_id) == cycle.id,
            col(Shortcoming.status).in_([R.OPEN, R.IN_PROGRESS]),
            col(Shortcoming.due_at) <= now,
            ~_split(),
        )
        .values(status=R.OVERDUE)
        .returning(col(Shortcoming.id))
        .execution_options(synchronize_session=False)
    )
    return len(list(session.execute(statement).scalars()))


def owned_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: every shortcoming of the unit has an owner (or owned copies)."""
    s = aliased(Shortcoming)
    return ~exists().where(col(s.unit_id) == col(Unit.id), col(s.owner_id).is_(None), ~_split(s))


def all_remedied_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: every shortcoming of the unit is remedied.

    A split original counts through its copies; a recurred one was remedied, and what came
    back is remedied under the later cycle's item.
    """
    s = aliased(Shortcoming)
    return ~exists().where(
        col(s.unit_id) == col(Unit.id),
        col(s.status).not_in([R.REMEDIED, R.RECURRED]),
        ~_split(s),
    )
