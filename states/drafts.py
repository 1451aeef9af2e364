"""Self-review drafts: what a writer saved before submitting, kept only for them.

A draft is the form as typed (every field a string), saved under the unit and its writer by
someone who may submit the review, while it can still be submitted; submitting drops it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.cycle import Cycle, SelfReviewDraft, Unit
from models.errors import ActionRefused, Refusal
from models.organization import Member
from states.acting import check_people_may_act
from states.cycles import get_cycle, get_member, get_units
from states.machine import UnitState
from states.people import Person, may_act

WRITABLE = (UnitState.SELF_REVIEW.value, UnitState.RETURNED.value)


def _unit_and_author(
    session: Session, who: Person, cycle_code: str, unit_code: str
) -> tuple[Unit, int]:
    reason = may_act(
        session, who, cycle_code=cycle_code, unit_code=unit_code, trigger="submit_self_review"
    )
    if reason is not None:
        raise ActionRefused(reason)
    assert who.member_code is not None
    (unit,) = get_units(session, get_cycle(session, cycle_code), [unit_code])
    author = get_member(session, who.member_code)
    assert unit.id is not None and author.id is not None
    return unit, author.id


def save_draft(
    *,
    session: Session,
    who: Person,
    cycle_code: str,
    unit_code: str,
    form: Mapping[str, str],
    now: datetime,
) -> None:
    """Keep the form as typed; refused when this person may not write this review or it can
    no longer be submitted."""
    check_people_may_act()
    unit, author_id = _unit_and_author(session, who, cycle_code, unit_code)
    if unit.state not in WRITABLE:
        raise ActionRefused(
            Refusal("draft_too_late", unit=unit_code, field=None, fields={"state": unit.state})
        )
    text = json.dumps(dict(form), ensure_ascii=False)
    draft = session.exec(
        select(SelfReviewDraft).where(
            SelfReviewDraft.unit_id == unit.id, SelfReviewDraft.author_id == author_id
        )
    ).first()
    if draft is None:
        assert unit.id is not None
        draft = SelfReviewDraft(unit_id=unit.id, author_id=author_id, saved_at=now, form_json=text)
    else:
        draft.saved_at, draft.form_json = now, text
    session.add(draft)
    session.flush()


def load_draft(
    session: Session, who: Person, cycle_code: str, unit_code: str
) -> tuple[dict[str, Any], datetime] | None:
    """The person's saved draft of the unit's review and when it was saved, if any (only
    ever their own, so reading it needs no more than who they are)."""
    if who.member_code is None:
        return None
    draft = session.exec(
        select(SelfReviewDraft)
        .join(Unit, col(Unit.id) == col(SelfReviewDraft.unit_id))
        .join(Cycle, col(Cycle.id) == col(Unit.cycle_id))
        .join(Member, col(Member.id) == col(SelfReviewDraft.author_id))
        .where(Cycle.code == cycle_code, Unit.code == unit_code, Member.code == who.member_code)
    ).first()
    if draft is None:
        return None
    return json.loads(draft.form_json), draft.saved_at


__all__ = ["load_draft", "save_draft"]
