"""The self-review (tự kiểm điểm): the form a unit submits, checked against its rule set."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.cycle import Level, SelfReview
from states.service import ActionResult, apply_moves, check_action


def submit_self_review(
    *,
    session: Session,
    cycle_code: str,
    unit_code: str,
    actor_code: str,
    now: datetime,
    proposed_level: Level,
    strengths: str = "",
    shortcomings: str = "",
    remedies: str = "",
) -> ActionResult:
    """Submit (or, after a return, resubmit) a unit's self-review."""
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=[unit_code],
        actor_code=actor_code,
        trigger="submit_self_review",
    )
    unit = checked.units[0]
    assert unit.id is not None and checked.actor.id is not None
    session.add(
        SelfReview(
            unit_id=unit.id,
            author_id=checked.actor.id,
            submitted_at=now,
            proposed_level=proposed_level,
            strengths=strengths,
            shortcomings=shortcomings,
            remedies=remedies,
        )
    )
    return apply_moves(
        session,
        checked,
        trigger="submit_self_review",
        now=now,
        proposed_level=proposed_level,
        has_shortcomings=bool(shortcomings.strip()),
    )
