"""Shortcomings carried over from earlier cycles: what a unit answers for, what is unremedied."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import exists, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from models.cycle import Cycle, SelfReview, Unit
from models.remediation import Shortcoming
from states.remediation._common import R, _split


def _earlier_cycles(session: Session, cycle: Cycle) -> list[int]:
    """The ids of the cycles before this one, the previous one first."""
    chain: list[int] = []
    current = cycle.previous_cycle_id
    while current is not None and current not in chain and current != cycle.id:
        chain.append(current)
        current = session.exec(select(Cycle.previous_cycle_id).where(Cycle.id == current)).one()
    return chain


def _earlier(session: Session, cycle: Cycle, units: Sequence[Unit]) -> dict[int, list[Shortcoming]]:
    """Per unit id: the previous cycle's items of its subject (all statuses), and older ones
    still unremedied that no later cycle of the chain recorded again. One query."""
    result: dict[int, list[Shortcoming]] = {u.id: [] for u in units if u.id is not None}
    chain = _earlier_cycles(session, cycle)
    if not chain or not result:
        return result
    by_code: dict[str, list[int]] = defaultdict(list)
    by_member: dict[int, list[int]] = defaultdict(list)
    for u in units:
        assert u.id is not None
        by_code[u.code].append(u.id)
        if not u.kind.is_collective and u.member_id is not None:
            by_member[u.member_id].append(u.id)
    later = aliased(Shortcoming)
    superseded = exists().where(
        col(later.carried_from_id) == col(Shortcoming.id), col(later.cycle_id).in_(chain)
    )
    subject: ColumnElement[bool] = col(Shortcoming.unit_code).in_(list(by_code))
    if by_member:
        subject = or_(subject, col(Shortcoming.owner_id).in_(list(by_member)))
    rows = session.execute(
        sa_select(Shortcoming, superseded)
        .where(col(Shortcoming.cycle_id).in_(chain), subject, ~_split())
        .order_by(col(Shortcoming.id))
    )
    for item, was_superseded in rows:
        if item.cycle_id != chain[0] and (item.status == R.REMEDIED or was_superseded):
            continue
        owner_units = by_member.get(item.owner_id, []) if item.owner_id is not None else []
        for unit_id in dict.fromkeys([*by_code.get(item.unit_code, []), *owner_units]):
            result[unit_id].append(item)
    return result


def carried_over(session: Session, cycle: Cycle, unit: Unit) -> list[Shortcoming]:
    """Last cycle's shortcomings of this unit's subject, for its self-review to answer.

    For a member or a leader, also the items they own (a collective's shortcoming split to
    them); from cycles further back, those still not remedied. All statuses, by id.
    """
    return _earlier(session, cycle, [unit]).get(unit.id or 0, [])


def unremedied_earlier(
    session: Session, cycle: Cycle, units: Sequence[Unit]
) -> dict[int, list[Shortcoming]]:
    """Per unit id (only units that have some): earlier cycles' shortcomings of its subject
    not yet remedied (open, in progress, overdue, recurred).

    A remedied one that the unit's latest self-review records again counts too: it becomes
    recurred when the approval records it, and a check made before that must see it.
    """
    earlier = {
        unit_id: items for unit_id, items in _earlier(session, cycle, units).items() if items
    }
    ids = list(earlier)
    if not ids:
        return {}
    repeats: dict[int, set[int]] = defaultdict(set)
    reviews = session.exec(
        select(SelfReview.unit_id, SelfReview.shortcomings_json)
        .where(col(SelfReview.unit_id).in_(ids))
        .order_by(col(SelfReview.id))
    ).all()
    for unit_id, text in reviews:
        repeats[unit_id] = {i["repeats"] for i in json.loads(text) if i.get("repeats")}
    result = {
        unit_id: [s for s in items if s.status != R.REMEDIED or s.id in repeats[unit_id]]
        for unit_id, items in earlier.items()
    }
    return {unit_id: items for unit_id, items in result.items() if items}
