"""The self-review (tự kiểm điểm): the form a unit submits, checked against its rule set."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel import Session

from models.cycle import Level, SelfReview
from states.service import ActionResult, apply_moves, check_action


@dataclass(frozen=True)
class ShortcomingInput:
    """A shortcoming as the unit writes it: what, its cause (above all the subjective one),
    and, if it records again one of last year's shortcomings, that shortcoming's id."""

    text: str
    cause: str = ""
    repeats: int | None = None


def submit_self_review(
    *,
    session: Session,
    cycle_code: str,
    unit_code: str,
    actor_code: str,
    now: datetime,
    proposed_level: Level,
    score: int | None = None,
    criteria: Mapping[str, str] | None = None,
    strengths: str = "",
    shortcomings: Sequence[ShortcomingInput] = (),
    remedies: str = "",
    answers: Mapping[int, str] | None = None,
    carried: Mapping[int, str] | None = None,
) -> ActionResult:
    """Submit (or, after a return, resubmit) a unit's self-review.

    `criteria` answers each criterion of the rule set; `score` is required where the rule set
    scores; `answers` answers each review suggestion the unit got (by id); `carried` says what
    was done about each of last year's shortcomings (by id).
    """
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
            score=score,
            strengths=strengths,
            shortcomings="\n".join(s.text for s in shortcomings),
            remedies=remedies,
            criteria_json=json.dumps(dict(criteria or {}), ensure_ascii=False),
            shortcomings_json=json.dumps([asdict(s) for s in shortcomings], ensure_ascii=False),
            answers_json=json.dumps({str(k): v for k, v in (answers or {}).items()}),
            carried_json=json.dumps({str(k): v for k, v in (carried or {}).items()}),
        )
    )
    return apply_moves(
        session,
        checked,
        trigger="submit_self_review",
        now=now,
        proposed_level=proposed_level,
        score=score,
        has_shortcomings=bool(shortcomings),
    )
