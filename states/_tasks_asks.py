"""The tasks of Việc của tôi that are asked of a person rather than owed by a unit: opinions
to give, review suggestions they may write, shortcomings they supervise.

Each is counted set-based, one query per kind whatever the district's size, and grouped: one
task per cycle and source (opinions), per cycle and approving committee (suggestions), per
cycle (supervision), linking to the one unit's page when it is one, else to the page that
lists them all.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models.cycle import OFFICE, RESIDENCE, Cycle, Opinion, StageDeadline, Suggestion, Unit
from models.organization import Member
from models.remediation import RemediationStatus, Shortcoming
from states import links
from states._task import Task
from states.cycles import approving_committee, days_late, format_day, plan_of
from states.directory import Directory
from states.machine import RE_REVIEW, UnitState
from states.remediation._common import _split
from states.seating import inspection_commission
from vocabulary import N_, _

# The states in which a unit may still get a review suggestion (the "suggest" move's sources).
SUGGESTING = (UnitState.PLAN_ISSUED.value, UnitState.SELF_REVIEW.value, UnitState.RETURNED.value)
LABELS = {
    "give_opinion": N_("Give an opinion"),
    "suggest": N_("Write review suggestions (if there is something to raise)"),
    "supervise": N_("Supervise the remedy of shortcomings"),
}


def _dated(cycle: Cycle, due: datetime | None, now: datetime, **fields: Any) -> Task:
    plan = plan_of(cycle)
    return Task(
        cycle=cycle.code,
        due=format_day(due, plan) if due else None,
        days_late=days_late(due, now, plan) if due else 0,
        **fields,
    )


def opinion_sources(member: Member, directory: Directory, cycle: Cycle) -> set[str]:
    """The sources this member is the one asked to speak for: the residence cell they head;
    an office they are the named contact of, or, where it names none, any office of the
    launching organization they head (whose office compiles the opinions)."""
    found = set()
    if member.leads_id is not None and member.leads_id in directory.orgs:
        found.add(f"{RESIDENCE}:{directory.orgs[member.leads_id].code}")
    for office in plan_of(cycle).opinions.offices:
        if office.contact == member.code or (
            not office.contact and member.leads_id == cycle.launched_by_id
        ):
            found.add(f"{OFFICE}:{office.code}")
    return found


def opinion_tasks(
    session: Session,
    member: Member,
    directory: Directory,
    cycles: list[Cycle],
    now: datetime,
) -> list[Task]:
    """One task per cycle and source with opinions awaited from this member (one query)."""
    wanted = {c.id: opinion_sources(member, directory, c) for c in cycles}
    sources = set().union(*wanted.values()) if wanted else set()
    if not sources:
        return []
    rows = session.execute(
        sa_select(
            col(Unit.cycle_id),
            col(Opinion.source),
            func.count(),
            func.min(col(Opinion.due_at)),
            func.min(col(Unit.code)),
        )
        .join(Unit, col(Unit.id) == col(Opinion.unit_id))
        .where(
            col(Unit.cycle_id).in_(list(wanted)),
            col(Unit.state) == UnitState.PEER_REVIEW.value,
            col(Opinion.received_at).is_(None),
            col(Opinion.missing).is_(False),
            col(Opinion.source).in_(sorted(sources)),
        )
        .group_by(col(Unit.cycle_id), col(Opinion.source))
    ).all()
    by_id = {c.id: c for c in cycles}
    tasks = []
    for cycle_id, source, count, due, first in rows:
        cycle = by_id[cycle_id]
        if source not in wanted[cycle_id]:
            continue
        kind, _sep, code = source.partition(":")
        offices = {o.code: o.name for o in plan_of(cycle).opinions.offices}
        name = offices.get(code, code) if kind == OFFICE else directory.by_code[code].name
        tasks.append(
            _dated(
                cycle,
                due,
                now,
                unit=first if count == 1 else code,
                subject=_("{n} unit(s), in the name of {source}").format(n=count, source=name),
                trigger="give_opinion",
                what=_(LABELS["give_opinion"]),
                path=links.action_page("give_opinion", cycle.code, first)
                if count == 1
                else links.opinions(cycle.code),
                if_late=_(
                    "If it is not given by then, it is recorded as missing and the vote goes "
                    "ahead without it."
                ),
                count=count,
            )
        )
    return tasks


def suggestion_tasks(
    session: Session,
    member: Member,
    directory: Directory,
    cycles: list[Cycle],
    now: datetime,
) -> list[Task]:
    """One task per cycle and approving committee with units this member may still write a
    review suggestion to, and has not yet (one query; the roles as `suggest` checks them)."""
    inspecting = {c.id for c in cycles if member.code in inspection_commission(directory, c)}
    eligible = [c for c in cycles if c.id in inspecting or member.leads_id is not None]
    if not eligible:
        return []
    stage = case((col(Unit.state) == UnitState.RETURNED.value, RE_REVIEW), else_="self_review")
    written = exists().where(
        col(Suggestion.unit_id) == col(Unit.id), col(Suggestion.issued_by_id) == member.id
    )
    rows = session.execute(
        sa_select(
            col(Unit.cycle_id),
            col(Unit.organization_id),
            func.count(),
            func.min(col(StageDeadline.due_at)),
            func.min(col(Unit.code)),
        )
        .outerjoin(
            StageDeadline,
            and_(col(StageDeadline.unit_id) == col(Unit.id), col(StageDeadline.stage) == stage),
        )
        .where(
            col(Unit.cycle_id).in_([c.id for c in eligible]),
            col(Unit.state).in_(SUGGESTING),
            or_(col(Unit.member_id).is_(None), col(Unit.member_id) != member.id),
            ~written,
        )
        .group_by(col(Unit.cycle_id), col(Unit.organization_id))
    ).all()
    by_id = {c.id: c for c in eligible}
    groups: dict[tuple[int, int], list[tuple[int, datetime | None, str]]] = defaultdict(list)
    for cycle_id, org_id, count, due, first in rows:
        cycle = by_id[cycle_id]
        approving = approving_committee(directory, cycle, org_id)
        if cycle_id in inspecting or directory.leads_within(member.leads_id, approving.id):
            groups[(cycle_id, approving.id)].append((count, due, first))
    tasks = []
    for (cycle_id, approving_id), parts in groups.items():
        cycle, approving = by_id[cycle_id], directory.orgs[approving_id]
        count = sum(n for n, _due, _first in parts)
        dues = [d for _n, d, _first in parts if d is not None]
        first = min(f for _n, _due, f in parts)
        tasks.append(
            _dated(
                cycle,
                min(dues) if dues else None,
                now,
                unit=first if count == 1 else approving.code,
                subject=_("{n} unit(s) whose levels {org} decides").format(
                    n=count, org=approving.name
                ),
                trigger="suggest",
                what=_(LABELS["suggest"]),
                path=links.action_page("suggest", cycle.code, first)
                if count == 1
                else links.suggestions(cycle.code, approving.code),
                if_late=_(
                    "A suggestion can be written only until the unit submits its self-review."
                ),
                count=count,
            )
        )
    return tasks


def supervision_tasks(
    session: Session,
    member: Member,
    directory: Directory,
    cycles: list[Cycle],
    now: datetime,
) -> list[Task]:
    """One task per cycle whose inspection commission this member sits on, while it has
    shortcomings not yet remedied (one query)."""
    inspecting = {c.id: c for c in cycles if member.code in inspection_commission(directory, c)}
    if not inspecting:
        return []
    open_ = [s.value for s in RemediationStatus if not s.is_remedied and s.value != "recurred"]
    rows = session.execute(
        sa_select(col(Shortcoming.cycle_id), func.count(), func.min(col(Shortcoming.due_at)))
        .where(
            col(Shortcoming.cycle_id).in_(list(inspecting)),
            col(Shortcoming.status).in_(open_),
            ~_split(),
        )
        .group_by(col(Shortcoming.cycle_id))
    ).all()
    return [
        _dated(
            inspecting[cycle_id],
            due,
            now,
            unit="",
            subject=_("{n} shortcoming(s) not yet remedied").format(n=count),
            trigger="supervise",
            what=_(LABELS["supervise"]),
            path=links.remediation(inspecting[cycle_id].code),
            if_late=_("A shortcoming not remedied by its due date is marked overdue."),
            count=count,
        )
        for cycle_id, count, due in rows
    ]


__all__ = ["opinion_sources", "opinion_tasks", "suggestion_tasks", "supervision_tasks"]
