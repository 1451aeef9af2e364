"""Listing a cycle's remediation items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models.errors import ActionRefused, Refusal
from models.organization import Member
from models.remediation import RemediationNote, Shortcoming
from states.cycles import format_day, get_cycle, get_member, get_units, plan_of
from states.remediation._common import OPEN, R, _split


def remediation_items(
    session: Session,
    cycle_code: str,
    *,
    unit_code: str | None = None,
    owner_code: str | None = None,
    status: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """The cycle's remediation items (a split original is shown through its copies), by id.

    With `now`, an item still open past its due time shows as overdue even before a tick
    has marked it."""
    cycle = get_cycle(session, cycle_code)
    plan = plan_of(cycle)
    notes = (
        sa_select(func.count())
        .where(col(RemediationNote.shortcoming_id) == col(Shortcoming.id))
        .scalar_subquery()
    )
    query = (
        sa_select(Shortcoming, col(Member.code), col(Member.full_name), notes)
        .outerjoin(Member, col(Member.id) == col(Shortcoming.owner_id))
        .where(col(Shortcoming.cycle_id) == cycle.id, ~_split())
        .order_by(col(Shortcoming.id))
    )
    if unit_code:
        query = query.where(
            col(Shortcoming.unit_id) == get_units(session, cycle, [unit_code])[0].id
        )
    if owner_code:
        query = query.where(col(Shortcoming.owner_id) == get_member(session, owner_code).id)
    if status:
        if status not in {s.value for s in R}:
            raise ActionRefused(
                Refusal(
                    "unknown_status",
                    field="status",
                    fields={"status": status, "statuses": ", ".join(s.value for s in R)},
                )
            )
        query = query.where(col(Shortcoming.status) == R(status))
    return [
        {
            "id": s.id,
            "unit": s.unit_code,
            "source": s.source,
            "text": s.text,
            "cause": s.cause,
            "owner": code,
            "owner_name": name,
            "due_local": format_day(s.due_at, plan) if s.due_at else "",
            "status": R.OVERDUE.value
            if now is not None and s.due_at and s.due_at <= now and s.status in OPEN
            else s.status.value,
            "notes": count,
            "carried_from": s.carried_from_id,
            "split_from": s.split_from_id,
        }
        for s, code, name, count in session.execute(query)
    ]
