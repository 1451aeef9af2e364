"""Everything a person looking at one unit is shown: where it stands, what it must answer,
who has been asked for an opinion, how its vote stands (who has voted; the counts only once
they may be known: never while a secret round is open), and its shortcomings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.cycle import AuditEntry, Comment, Opinion, SelfReview, StageDeadline
from models.organization import Member
from states.acting import recorded_by
from states.actions import allowed_actions
from states.cycles import format_day, get_cycle, get_units, plan_of
from states.remediation import remediation_items
from states.suggestions import describe, issuer_names, suggestions_for
from states.vote_standing import vote_standing
from vocabulary import dates
from vocabulary.reasons import worded


def unit_view(
    session: Session, cycle_code: str, unit_code: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """The unit as `kiemdiem unit show` (and a page) presents it; times in the plan's zone.

    With `now` (the cycle clock), each deadline, opinion and shortcoming says whether its
    due time has passed by then."""
    cycle = get_cycle(session, cycle_code)
    unit = get_units(session, cycle, [unit_code])[0]
    assert unit.id is not None
    plan = plan_of(cycle)
    local = plan.zone
    deadlines = session.exec(select(StageDeadline).where(StageDeadline.unit_id == unit.id)).all()
    review = session.exec(
        select(SelfReview).where(SelfReview.unit_id == unit.id).order_by(col(SelfReview.id).desc())
    ).first()
    suggestions = suggestions_for(session, [unit.id]).get(unit.id, [])
    names = issuer_names(session, suggestions)
    opinions = session.exec(
        select(Opinion).where(Opinion.unit_id == unit.id).order_by(col(Opinion.id))
    ).all()
    comments = session.exec(
        select(Comment, Member.code)
        .join(Member, col(Member.id) == col(Comment.author_id))
        .where(Comment.unit_id == unit.id)
        .order_by(col(Comment.id))
    ).all()
    history = session.exec(
        select(AuditEntry).where(AuditEntry.unit_id == unit.id).order_by(col(AuditEntry.id))
    ).all()
    standing = vote_standing(session, cycle, unit)
    vote: dict[str, Any] | None = None
    if standing is not None:
        vote = {
            "round": standing.round,
            "ballot": standing.ballot,
            "open": standing.open,
            "eligible": standing.eligible,
            "voted": standing.voted,
            "roll": standing.roll,
            # None while a secret round is open: its ballots are sealed until it is closed.
            "tally": None
            if standing.counts is None
            else {level.value: n for level, n in standing.counts.items() if n},
            "counted": [
                {"round": r.round, "tally": {lv.value: n for lv, n in r.counts.items() if n}}
                for r in standing.counted
            ],
        }
    return {
        "unit": unit.code,
        "kind": unit.kind.value,
        "state": unit.state,
        "score": unit.score,
        "proposed_level": unit.proposed_level.value if unit.proposed_level else None,
        "final_level": unit.final_level.value if unit.final_level else None,
        "can": allowed_actions(unit),
        "deadlines": [
            {
                "stage": d.stage,
                "due_local": format_day(d.due_at, plan),
                "passed": now is not None and d.due_at <= now,
            }
            for d in sorted(deadlines, key=lambda d: d.due_at)
        ],
        "self_review": None
        if review is None
        else {
            "submitted_local": dates.moment(review.submitted_at, local),
            "proposed_level": review.proposed_level.value,
            "score": review.score,
            "strengths": review.strengths,
            "shortcomings": review.shortcomings,
            "remedies": review.remedies,
        },
        "suggestions": [describe(s, names, width=200) for s in suggestions],
        "opinions": [
            {
                "source": o.source,
                "due_local": format_day(o.due_at, plan),
                "status": "given"
                if o.received_at
                else "missing"
                if o.missing or (now is not None and o.due_at <= now)
                else "awaited",
                "text": o.text,
                "given_by": o.given_by,
                "recorded_by": recorded_by(o.entered_via, o.entered_by, o.given_by),
                "recorded_via": o.entered_via,
            }
            for o in opinions
        ],
        "comments": [
            {
                "at_local": dates.moment(c.at, local),
                "author": author,
                "text": c.text,
                "recorded_by": recorded_by(c.entered_via, c.entered_by, author),
                "recorded_via": c.entered_via,
            }
            for c, author in comments
        ],
        "vote": vote,
        "shortcomings": remediation_items(session, cycle_code, unit_code=unit.code, now=now),
        "history": [
            {
                "at_local": dates.moment(e.at, local),
                "actor": e.actor,
                "via": e.via,
                "operator": e.operator,
                "recorded_by": recorded_by(e.via, e.operator, e.actor),
                "move": f"{e.from_state} → {e.to_state}",
                "reason": worded(e.reason),
            }
            for e in history
        ],
    }
