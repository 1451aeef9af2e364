"""Peer review (phê bình, góp ý): comments from the collective, and requested opinions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert, true
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from models.cycle import Comment, Cycle, Unit
from models.errors import ActionRefused
from states.guards import GuardContext, person_guard
from states.service import ActionResult, apply_moves, check_action


def comment(
    *,
    session: Session,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    now: datetime,
    text: str,
) -> ActionResult:
    """Record a peer-review comment on each named unit."""
    if not text.strip():
        raise ActionRefused("a comment needs text; nothing was changed")
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=unit_codes,
        actor_code=actor_code,
        trigger="comment",
    )
    session.execute(
        insert(Comment),
        [
            {"unit_id": u.id, "author_id": checked.actor.id, "at": now, "text": text}
            for u in checked.units
        ],
    )
    return apply_moves(session, checked, trigger="comment", now=now)


# STUB (issue 3): requested opinions.


def request_opinions(session: Session, cycle: Cycle, units: Sequence[Unit], now: datetime) -> int:
    """Ask for the opinions these units' peer reviews wait for; return how many were asked."""
    return 0


def settle_opinions(session: Session, cycle: Cycle, now: datetime) -> int:
    """The tick: opinions past their due time and not given are recorded as missing."""
    return 0


def opinions_settled_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: no opinion of the unit is still awaited."""
    return true()


@person_guard("actor_speaks_for_source")
def _speaks_for_source(ctx: GuardContext, unit: Unit) -> str | None:
    return "opinions are not written yet"
