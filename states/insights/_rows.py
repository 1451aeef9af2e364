"""The rows the cycle already has, read once per question in a few set-based queries."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, func, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models._types import instant_reader
from models.cycle import (
    AuditEntry,
    Comment,
    Cycle,
    Level,
    SelfReview,
    StageDeadline,
    Tally,
    Unit,
    UnitKind,
)
from models.organization import Member
from states.directory import Directory


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    kind: str
    org_id: int
    member_id: int | None
    state: str
    proposed: Level | None
    final: Level | None
    name: str
    position: str | None
    position_group: str | None

    @property
    def level(self) -> Level | None:
        """The level of record: decided if it is, else proposed (by the vote, or the unit)."""
        return self.final or self.proposed


@dataclass(frozen=True)
class ReviewText:
    """A unit's latest self-review, as text."""

    unit_code: str
    body: str
    shortcomings: str
    remedies: str


@dataclass
class CycleRows:
    cycle: Cycle
    directory: Directory
    units: list[UnitRow]
    reviews: dict[int, ReviewText] = field(default_factory=dict)
    previous_reviews: dict[str, ReviewText] = field(default_factory=dict)
    comments: dict[int, list[str]] = field(default_factory=dict)
    # unit id -> round -> level -> count, as stored (a secret round's only once closed).
    tallies: dict[int, dict[int, dict[str, int]]] = field(default_factory=dict)
    # unit id -> state -> first time the unit entered it.
    entered: dict[int, dict[str, datetime]] = field(default_factory=dict)
    # unit id -> stage -> due time.
    due: dict[int, dict[str, datetime]] = field(default_factory=dict)


def _review(
    unit_code: str, criteria_json: str, strengths: str, shortcomings: str, remedies: str
) -> ReviewText:
    criteria = json.loads(criteria_json or "{}")
    answers = [str(v) for v in criteria.values()] if isinstance(criteria, dict) else []
    body = "\n".join([*answers, strengths, shortcomings, remedies])
    return ReviewText(unit_code, body, shortcomings, remedies)


def _latest_reviews(session: Session, cycle_id: int) -> dict[int, ReviewText]:
    """Unit id -> its latest self-review (plain columns: tens of thousands of rows)."""
    latest: dict[int, tuple[Any, ...]] = {}
    rows = session.execute(
        sa_select(
            col(SelfReview.unit_id),
            col(Unit.code),
            col(SelfReview.criteria_json),
            col(SelfReview.strengths),
            col(SelfReview.shortcomings),
            col(SelfReview.remedies),
        )
        .join(Unit, col(Unit.id) == col(SelfReview.unit_id))
        .where(col(Unit.cycle_id) == cycle_id)
        .order_by(col(SelfReview.id))
    )
    for unit_id, *rest in rows:
        latest[unit_id] = tuple(rest)
    return {unit_id: _review(*rest) for unit_id, rest in latest.items()}


def load_rows(
    session: Session, cycle: Cycle, *, now: datetime | None = None, texts: bool = True
) -> CycleRows:
    """Units, latest reviews (and last year's), comments, tallies, state entries, deadlines;
    without `texts`, only what the forecast reads (units, state entries, deadlines)."""
    assert cycle.id is not None
    directory = Directory.for_cycle(session, cycle)
    units = [
        UnitRow(
            id=unit_id,
            code=code,
            kind=UnitKind(kind).value,
            org_id=org_id,
            member_id=member_id,
            state=state,
            proposed=Level(proposed) if proposed else None,
            final=Level(final) if final else None,
            name=full_name or directory.orgs[org_id].name,
            position=position,
            position_group=group,
        )
        for (
            unit_id,
            code,
            kind,
            org_id,
            member_id,
            state,
            proposed,
            final,
            full_name,
            position,
            group,
        ) in session.execute(
            sa_select(
                col(Unit.id),
                col(Unit.code),
                col(Unit.kind),
                col(Unit.organization_id),
                col(Unit.member_id),
                col(Unit.state),
                col(Unit.proposed_level),
                col(Unit.final_level),
                col(Member.full_name),
                col(Member.position),
                col(Member.position_group),
            )
            .outerjoin(Member, col(Member.id) == col(Unit.member_id))
            .where(col(Unit.cycle_id) == cycle.id)
            .order_by(col(Unit.id))
        )
    ]
    rows = CycleRows(cycle, directory, units)
    if texts:
        _texts(session, cycle, rows)
    _progress(session, cycle, rows, now)
    return rows


def _texts(session: Session, cycle: Cycle, rows: CycleRows) -> None:
    assert cycle.id is not None
    rows.reviews = _latest_reviews(session, cycle.id)
    if cycle.previous_cycle_id is not None:
        previous = _latest_reviews(session, cycle.previous_cycle_id)
        rows.previous_reviews = {r.unit_code: r for r in previous.values()}
    comments: dict[int, list[str]] = defaultdict(list)
    for unit_id, text in session.execute(
        sa_select(col(Comment.unit_id), col(Comment.text))
        .join(Unit, col(Unit.id) == col(Comment.unit_id))
        .where(col(Unit.cycle_id) == cycle.id)
        .order_by(col(Comment.id))
    ):
        comments[unit_id].append(text)
    rows.comments = dict(comments)
    tallies: dict[int, dict[int, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for unit_id, rnd, level, count in session.execute(
        sa_select(col(Tally.unit_id), col(Tally.round), col(Tally.level), col(Tally.count))
        .join(Unit, col(Unit.id) == col(Tally.unit_id))
        .where(col(Unit.cycle_id) == cycle.id, col(Tally.count) > 0)
    ):
        tallies[unit_id][rnd][Level(level).value] = count
    rows.tallies = {u: dict(r) for u, r in tallies.items()}


def _progress(session: Session, cycle: Cycle, rows: CycleRows, now: datetime | None) -> None:
    # Instants as stored, each distinct one converted once (a cycle's thousands of rows
    # share a few: see `instant_reader`).
    instant = instant_reader()
    entered: dict[int, dict[str, datetime]] = defaultdict(dict)
    first = (
        sa_select(
            col(AuditEntry.unit_id),
            col(AuditEntry.to_state),
            type_coerce(func.min(AuditEntry.at), String),
        )
        .join(Unit, col(Unit.id) == col(AuditEntry.unit_id))
        .where(col(Unit.cycle_id) == cycle.id)
        .group_by(col(AuditEntry.unit_id), col(AuditEntry.to_state))
    )
    if now is not None:
        first = first.where(col(AuditEntry.at) <= now)
    for unit_id, state, at in session.execute(first):
        entered[unit_id][state] = instant(at)
    rows.entered = dict(entered)
    due: dict[int, dict[str, datetime]] = defaultdict(dict)
    for unit_id, stage, at in session.execute(
        sa_select(
            col(StageDeadline.unit_id),
            col(StageDeadline.stage),
            type_coerce(col(StageDeadline.due_at), String),
        )
        .join(Unit, col(Unit.id) == col(StageDeadline.unit_id))
        .where(col(Unit.cycle_id) == cycle.id)
    ):
        due[unit_id][stage] = instant(at)
    rows.due = dict(due)
