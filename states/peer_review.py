"""Peer review (phê bình, góp ý): comments from the collective, and requested opinions.

The opinions live in `states.opinions`; they are re-exported here, where the stage's actions
have always been found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from models.cycle import Comment
from models.errors import ActionRefused, Refusal
from states.acting import entered_fields
from states.opinions import (
    give_opinion,
    opinions_settled_clause,
    request_opinions,
    settle_opinions,
)
from states.service import ActionResult, apply_moves, check_action
from states.text_limits import check_lengths

__all__ = [
    "comment",
    "give_opinion",
    "opinions_settled_clause",
    "request_opinions",
    "settle_opinions",
]


def comment(
    *,
    session: Session,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    now: datetime,
    text: str,
    entered_by: str | None = None,
) -> ActionResult:
    """Record a peer-review comment on each named unit, said by `actor_code`; `entered_by`
    is the member who typed it in when that is someone else (a secretary at the meeting)."""
    check_lengths([("text", text, "text")])
    if not text.strip():
        raise ActionRefused(Refusal("comment_needs_text", field="text"), Refusal("nothing_changed"))
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=unit_codes,
        actor_code=actor_code,
        trigger="comment",
    )
    typed_by = entered_fields(entered_by or checked.actor.code)
    session.execute(
        insert(Comment),
        [
            {
                "unit_id": u.id,
                "author_id": checked.actor.id,
                "at": now,
                "text": text,
                **typed_by,
            }
            for u in checked.units
        ],
    )
    return apply_moves(session, checked, trigger="comment", now=now)
