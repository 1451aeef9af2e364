"""Shortcomings and their remediation, carried from one year's cycle to the next.

STUB (issue 3): the interface the approval, self-review and tick code call.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import true
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from models.cycle import Cycle, Unit
from models.organization import Member
from models.remediation import Shortcoming
from states.guards import GuardContext, person_guard


def record_shortcomings(
    session: Session,
    cycle: Cycle,
    units: Sequence[Unit],
    *,
    now: datetime,
    conclusions: Sequence[str],
    actor: Member,
) -> int:
    """At approval: record each unit's shortcomings (its latest self-review's, plus the
    approving committee's conclusions), with remediation due dates; return how many."""
    return 0


def carried_over(session: Session, cycle: Cycle, unit: Unit) -> list[Shortcoming]:
    """Last cycle's shortcomings of this unit's subject, for its self-review to answer."""
    return []


def unremedied_earlier(
    session: Session, cycle: Cycle, units: Sequence[Unit]
) -> dict[int, list[Shortcoming]]:
    """Per unit id: earlier cycles' shortcomings of its subject not yet remedied."""
    return {}


def mark_overdue(session: Session, cycle: Cycle, now: datetime) -> int:
    """The tick: shortcomings past their due date and not remedied become overdue."""
    return 0


def owned_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: every shortcoming of the unit has an owner (or owned copies)."""
    return true()


def all_remedied_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: every shortcoming of the unit is remedied."""
    return true()


@person_guard("actor_heads_or_approves")
def _heads_or_approves(ctx: GuardContext, unit: Unit) -> str | None:
    return None
