"""Recording a unit's shortcomings at approval, and keeping its remediation deadline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.cycle import Cycle, SelfReview, StageDeadline, Unit
from models.organization import Member
from models.remediation import Shortcoming
from states.cycles import plan_of
from states.remediation._carry import _earlier_cycles
from states.remediation._common import OPEN, STAGE, R, _split


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
    approving committee's conclusions), with remediation due dates; return how many.

    A unit's shortcomings are recorded once: a unit that already has some in this cycle is
    left as it is. A self-review item that `repeats` an earlier shortcoming still open is not
    recorded twice (the earlier item carries over); one that repeats a remedied shortcoming is
    recorded anew and the earlier one becomes recurred.
    """
    ids = [u.id for u in units]
    if not ids:
        return 0
    plan = plan_of(cycle)
    due = plan.due_at((now.astimezone(plan.zone) + timedelta(days=plan.remediation_days)).date())
    done = set(
        session.exec(select(Shortcoming.unit_id).where(col(Shortcoming.unit_id).in_(ids))).all()
    )
    reviews = session.exec(
        select(SelfReview.unit_id, SelfReview.shortcomings_json)
        .where(col(SelfReview.unit_id).in_(ids))
        .order_by(col(SelfReview.id))
    ).all()
    items = {unit_id: json.loads(text) for unit_id, text in reviews}  # the latest wins
    repeated = _repeatable(session, cycle, units, items)
    rows: list[dict[str, Any]] = []
    for unit in units:
        if unit.id in done:
            continue
        owner = None if unit.kind.is_collective else unit.member_id
        base: dict[str, Any] = {"cycle_id": cycle.id, "unit_id": unit.id, "unit_code": unit.code}
        base |= {"owner_id": owner, "due_at": due, "status": R.OPEN, "recorded_at": now}
        before = len(rows)
        for item in items.get(unit.id or 0, []):
            text = str(item.get("text") or "").strip()
            earlier = repeated.get((unit.id, item.get("repeats")))
            if not text or (earlier is not None and earlier.status in OPEN):
                continue  # still being remedied: it carries over as it is
            if earlier is not None and earlier.status == R.REMEDIED:
                earlier.status = R.RECURRED
                session.add(earlier)
            rows.append(
                base
                | {
                    "source": "self_review",
                    "text": text,
                    "cause": str(item.get("cause") or ""),
                    "carried_from_id": earlier.id if earlier else None,
                }
            )
        for text in (c.strip() for c in conclusions):
            if text:
                rows.append(base | {"source": "conclusion", "text": text, "cause": ""})
        unit.has_shortcomings = len(rows) > before
        session.add(unit)
    if rows:
        session.execute(insert(Shortcoming), rows)
    _sync_deadlines(session, [i for i in ids if i not in done and i is not None])
    return len(rows)


def _repeatable(
    session: Session, cycle: Cycle, units: Sequence[Unit], items: dict[int, list[dict[str, Any]]]
) -> dict[tuple[int | None, Any], Shortcoming]:
    """(unit id, shortcoming id) → the earlier shortcoming a self-review item records again,
    when it is one of the unit's subject in an earlier cycle of the chain."""
    wanted = {i["repeats"] for listed in items.values() for i in listed if i.get("repeats")}
    chain = _earlier_cycles(session, cycle)
    if not wanted or not chain:
        return {}
    found = {
        s.id: s
        for s in session.exec(
            select(Shortcoming).where(
                col(Shortcoming.id).in_(wanted), col(Shortcoming.cycle_id).in_(chain)
            )
        ).all()
    }
    result: dict[tuple[int | None, Any], Shortcoming] = {}
    for unit in units:
        for item in items.get(unit.id or 0, []):
            earlier = found.get(item.get("repeats"))
            if earlier is not None and _concerns(earlier, unit):
                result[(unit.id, earlier.id)] = earlier
    return result


def _concerns(item: Shortcoming, unit: Unit) -> bool:
    """Whether an earlier cycle's item is the unit's: the same subject, or the same member."""
    if item.unit_code == unit.code:
        return True
    return (
        not unit.kind.is_collective
        and item.owner_id is not None
        and item.owner_id == unit.member_id
    )


def _sync_deadlines(session: Session, unit_ids: Sequence[int]) -> None:
    """Each unit's remediation is due when its earliest open item is; none open, no deadline."""
    if not unit_ids:
        return
    session.flush()
    earliest: dict[int, datetime] = {
        unit_id: due
        for unit_id, due in session.execute(
            sa_select(col(Shortcoming.unit_id), func.min(col(Shortcoming.due_at)))
            .where(
                col(Shortcoming.unit_id).in_(unit_ids),
                col(Shortcoming.status).in_(OPEN),
                col(Shortcoming.due_at).is_not(None),
                ~_split(),
            )
            .group_by(col(Shortcoming.unit_id))
        )
    }
    rows = session.exec(
        select(StageDeadline).where(
            col(StageDeadline.unit_id).in_(unit_ids), StageDeadline.stage == STAGE
        )
    ).all()
    existing = {r.unit_id: r for r in rows}
    for unit_id in unit_ids:
        due, row = earliest.get(unit_id), existing.get(unit_id)
        if due is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(StageDeadline(unit_id=unit_id, stage=STAGE, due_at=due))
        elif row.due_at != due:
            row.due_at = due
            session.add(row)
    session.flush()
