"""Close a cycle: once every unit is closed, the launching committee ends it and its ticks stop."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.cycle import Cycle, Unit
from models.errors import ActionRefused, Refusal
from states.machine import UnitState


def close_cycle(*, session: Session, cycle: Cycle, now: datetime) -> bool:
    """Mark the cycle closed; False if it already was. Refused while any unit is not closed."""
    if cycle.closed_at is not None:
        return False
    open_units = session.exec(
        select(func.count())
        .select_from(Unit)
        .where(Unit.cycle_id == cycle.id, col(Unit.state) != UnitState.CLOSED)
    ).one()
    if open_units:
        raise ActionRefused(
            Refusal("cycle_units_open", fields={"cycle": cycle.code, "open": open_units})
        )
    cycle.closed_at = now
    session.add(cycle)
    return True
