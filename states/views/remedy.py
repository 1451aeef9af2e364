"""Remediation as one person sees it: the shortcomings they own (or, as head of a collective,
those not yet split among owners), and for the inspection commission every item to supervise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models.cycle import Unit
from models.organization import Member
from models.remediation import RemediationNote, RemediationStatus, Shortcoming
from states.cycles import get_cycle, get_member
from states.directory import Directory
from states.remediation._common import _split
from states.seating import inspection_commission


@dataclass(frozen=True)
class Note:
    kind: str  # evidence | supervision
    author: str
    at: datetime
    text: str


@dataclass(frozen=True)
class RemediationItem:
    id: int
    unit: str
    text: str
    cause: str
    status: RemediationStatus
    due_at: datetime | None
    owner: str | None
    notes: list[Note]
    may_report: bool  # the person may add evidence (and mark it remedied)
    may_supervise: bool  # the person sits on the inspection commission


@dataclass(frozen=True)
class RemediationView:
    cycle: str
    supervisor: bool
    owned: list[RemediationItem]  # what the person reports on
    supervised: list[RemediationItem]  # what the commission follows (empty for others)


def remediation_view(session: Session, cycle_code: str, person_code: str) -> RemediationView:
    cycle = get_cycle(session, cycle_code)
    person = get_member(session, person_code)
    directory = Directory.load(session)
    supervisor = person.code in inspection_commission(directory, cycle)
    led = (
        [o.id for o in directory.orgs.values() if directory.in_subtree(o.id, person.leads_id)]
        if person.leads_id is not None
        else []
    )
    mine = or_(
        col(Shortcoming.owner_id) == person.id,
        col(Shortcoming.owner_id).is_(None) & col(Unit.organization_id).in_(led),
    )
    query = (
        sa_select(Shortcoming, col(Member.code))
        .join(Unit, col(Unit.id) == col(Shortcoming.unit_id))
        .outerjoin(Member, col(Member.id) == col(Shortcoming.owner_id))
        .where(col(Shortcoming.cycle_id) == cycle.id, ~_split())
        .order_by(col(Shortcoming.id))
    )
    rows = list(session.execute(query if supervisor else query.where(mine)))
    ids = [s.id for s, _ in rows]
    notes: dict[int, list[Note]] = {}
    for note, author in session.execute(
        sa_select(RemediationNote, col(Member.code))
        .join(Member, col(Member.id) == col(RemediationNote.author_id))
        .where(col(RemediationNote.shortcoming_id).in_(ids))
        .order_by(col(RemediationNote.id))
    ):
        notes.setdefault(note.shortcoming_id, []).append(
            Note(note.kind, author, note.at, note.text)
        )
    closed = (RemediationStatus.REMEDIED, RemediationStatus.RECURRED)

    def item(s: Shortcoming, owner: str | None) -> RemediationItem:
        own = s.owner_id == person.id or (s.owner_id is None and s.unit_id in led_units)
        return RemediationItem(
            id=s.id or 0,
            unit=s.unit_code,
            text=s.text,
            cause=s.cause,
            status=s.status,
            due_at=s.due_at,
            owner=owner,
            notes=notes.get(s.id or 0, []),
            may_report=own and s.status not in closed,
            may_supervise=supervisor,
        )

    led_units = {
        uid
        for uid, org in session.execute(
            sa_select(col(Unit.id), col(Unit.organization_id)).where(
                col(Unit.id).in_({s.unit_id for s, _ in rows}), col(Unit.organization_id).in_(led)
            )
        )
    }
    items = [item(s, owner) for s, owner in rows]
    owned = [i for i in items if i.may_report or i.owner == person.code]
    return RemediationView(cycle.code, supervisor, owned, items if supervisor else [])
