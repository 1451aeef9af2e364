"""What a person has to do now, across units and cycles (the page "Việc của tôi").

A fixed number of queries per person whatever the district's size: the person's own units,
the collectives they head, the votes they cast or run, the decisions of the committee they
head, and the shortcomings they own; then one query each for the due dates and the ladder
steps already taken; then one each, counted and grouped in SQL, for the opinions awaited from
them, the units they may still write a review suggestion to, and the open shortcomings they
supervise (states._tasks_asks); tests/states/test_tasks_queries.py counts them. Each task
names its page (`states.links`) and what happens if late.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, tuple_
from sqlmodel import Session, col, or_, select

from models.cycle import Cycle, Escalation, StageDeadline, Unit, UnitKind, VoterRoll
from models.organization import Member
from models.remediation import RemediationStatus, Shortcoming
from states import links
from states._task import Task
from states._tasks_asks import opinion_tasks, suggestion_tasks, supervision_tasks
from states.cycles import approving_committee, days_late, format_day, plan_of
from states.directory import Directory
from states.machine import STAGE_OF_STATE, UnitState
from states.people import Person, active_cycles
from states.plan import Plan
from vocabulary import N_, _

# What each task asks, by trigger (English msgids).
LABELS = {
    "submit_self_review": N_("Write and submit the self-review"),
    "vote": N_("Vote"),
    "meeting": N_("Run the meeting and the vote"),
    "approve": N_("Decide the levels"),
    "remediation": N_("Report on the remedy of a shortcoming"),
}
RECIPIENTS = {
    "unit": N_("the unit"),
    "secretary": N_("the cell secretary"),
    "higher": N_("the committee above"),
    "team": N_("the directing team"),
    "standing": N_("the standing committee"),
}
REVIEWING = (UnitState.SELF_REVIEW.value, UnitState.RETURNED.value)


def _next_step(plan: Plan, due_at: datetime, taken: set[int], now: datetime) -> str | None:
    for index, rung in enumerate(plan.escalation):
        if index in taken:
            continue
        when = due_at + rung.offset
        if rung.offset.total_seconds() < 0 and now > due_at:
            continue  # reminders are dropped once the due time has passed
        who = ", ".join(_(RECIPIENTS.get(r, r)) for r in rung.notify)
        return _("If it is not done: on {day}, {who} will be told.").format(
            day=when.astimezone(plan.zone).strftime("%d/%m/%Y %H:%M"), who=who
        )
    return None


def _units_for(
    session: Session, member: Member, directory: Directory, cycles: list[Cycle]
) -> dict[str, list[Unit]]:
    """Units needing this member, by what they do; a few queries in all."""
    found: dict[str, list[Unit]] = defaultdict(list)
    in_cycles = col(Unit.cycle_id).in_([c.id for c in cycles])
    # Their own review and, if they head an organization, its collective's and its
    # leadership's: one query.
    mine = col(Unit.member_id) == member.id
    if member.leads_id is not None:
        mine = or_(
            mine,
            (col(Unit.organization_id) == member.leads_id)
            & col(Unit.kind).in_([UnitKind.ORGANIZATION, UnitKind.LEADERSHIP]),
        )
    found["submit_self_review"] += session.exec(
        select(Unit).where(in_cycles, mine, col(Unit.state).in_(REVIEWING))
    ).all()
    # Votes: the member's cell; collectives of organizations whose committee above seats them;
    # leaders of organizations they belong to or sit on the committee of.
    seats = [org for org in directory.children if member.id in directory.committee(org)]
    below = [c for org in seats for c in directory.children.get(org, [])]
    voting = session.exec(
        select(Unit).where(
            in_cycles,
            Unit.state == UnitState.VOTE.value,
            or_(Unit.member_id.is_(None), Unit.member_id != member.id),  # type: ignore[union-attr]
            or_(
                (col(Unit.kind) == UnitKind.MEMBER)
                & (col(Unit.organization_id) == member.organization_id),
                (col(Unit.kind) == UnitKind.LEADER)
                & col(Unit.organization_id).in_([member.organization_id, *seats]),
                col(Unit.kind).in_([UnitKind.ORGANIZATION, UnitKind.LEADERSHIP])
                & col(Unit.organization_id).in_(below),
            ),
        )
    ).all()
    voted = set(
        session.exec(
            select(VoterRoll.unit_id, VoterRoll.round).where(
                VoterRoll.voter_id == member.id,
                col(VoterRoll.unit_id).in_([u.id for u in voting]),
            )
        ).all()
    )
    found["vote"] += [u for u in voting if (u.id, u.vote_round) not in voted]
    if member.leads_id is not None:
        led = member.leads_id
        children = directory.children.get(led, [])
        running = session.exec(
            select(Unit).where(
                in_cycles,
                col(Unit.state).in_([UnitState.PEER_REVIEW.value, UnitState.VOTE.value]),
                or_(Unit.member_id.is_(None), Unit.member_id != member.id),  # type: ignore[union-attr]
                or_(
                    col(Unit.kind).in_([UnitKind.MEMBER, UnitKind.LEADER])
                    & (col(Unit.organization_id) == led),
                    col(Unit.kind).in_([UnitKind.ORGANIZATION, UnitKind.LEADERSHIP])
                    & col(Unit.organization_id).in_(children),
                ),
            )
        ).all()
        found["meeting"] += running
        found["approve"] += session.exec(
            select(Unit).where(
                in_cycles,
                Unit.state == UnitState.APPROVAL.value,
                col(Unit.organization_id).in_(children),
            )
        ).all()
    return found


def tasks_of(session: Session, person: Person, *, now: datetime) -> list[Task]:
    """This person's open tasks, the latest due first after the late ones."""
    cycles = active_cycles(session)
    by_id = {c.id: c for c in cycles}
    # The member and the tree once for every kind of task below (each read is a statement).
    member, directory = None, None
    if person.member_code is not None and cycles:
        member = session.exec(select(Member).where(Member.code == person.member_code)).one()
        directory = Directory.load(session)
    found: dict[str, list[Unit]] = (
        _units_for(session, member, directory, cycles) if member and directory else {}
    )
    units = {u.id: u for group in found.values() for u in group}
    stages = {uid: STAGE_OF_STATE.get(UnitState(u.state)) for uid, u in units.items()}
    pairs = [(uid, stage) for uid, stage in stages.items() if stage]
    dues: dict[int, datetime] = {}
    taken: dict[int, set[int]] = defaultdict(set)
    if pairs:
        pair = tuple_(col(StageDeadline.unit_id), col(StageDeadline.stage))
        for uid, due in session.exec(
            select(StageDeadline.unit_id, StageDeadline.due_at).where(pair.in_(pairs))
        ):
            dues[uid] = due
        esc = tuple_(col(Escalation.unit_id), col(Escalation.stage))
        for uid, step in session.exec(
            select(Escalation.unit_id, Escalation.step).where(esc.in_(pairs))
        ):
            taken[uid].add(step)
    names = _subjects(session, units.values())
    tasks: list[Task] = []
    approvals: dict[tuple[str, int], list[Unit]] = defaultdict(list)
    for trigger, group in found.items():
        for unit in group:
            cycle = by_id[unit.cycle_id]
            if trigger == "approve":
                approvals[(cycle.code, unit.organization_id)].append(unit)
                continue
            tasks.append(_task(cycle, unit, trigger, names, dues, taken, now))
    for (code, org_id), group in approvals.items():
        assert directory is not None  # approvals come from a member's units
        approving = approving_committee(directory, by_id[group[0].cycle_id], org_id)
        first = min(group, key=lambda u: dues.get(u.id or 0, now))
        task = _task(by_id[group[0].cycle_id], first, "approve", names, dues, taken, now)
        tasks.append(
            Task(
                **{
                    **task.__dict__,
                    "unit": directory.orgs[org_id].code,
                    "subject": _("{n} unit(s) of {org}").format(
                        n=len(group), org=directory.orgs[org_id].name
                    ),
                    "path": links.approval(code, approving.code),
                    "count": len(group),
                }
            )
        )
    tasks += _remediation(session, person, cycles, now)
    if member is not None and directory is not None:
        tasks += _asked(session, member, directory, cycles, now)
    return sorted(tasks, key=lambda t: (-t.days_late, t.due or "9999", t.cycle, t.unit))


def _asked(
    session: Session, member: Member, directory: Directory, cycles: list[Cycle], now: datetime
) -> list[Task]:
    """Opinions to give, suggestions one may write, shortcomings one supervises."""
    found: list[Task] = []
    for kind in (opinion_tasks, suggestion_tasks, supervision_tasks):
        found += kind(session, member, directory, cycles, now)
    return found


def _task(
    cycle: Cycle,
    unit: Unit,
    trigger: str,
    names: dict[int, str],
    dues: dict[int, datetime],
    taken: dict[int, set[int]],
    now: datetime,
) -> Task:
    assert unit.id is not None
    plan = plan_of(cycle)
    due = dues.get(unit.id)
    page = links.action_page(
        "close_vote" if trigger == "meeting" else trigger, cycle.code, unit.code
    )
    return Task(
        cycle=cycle.code,
        unit=unit.code,
        subject=names.get(unit.id, unit.code),
        trigger=trigger,
        what=_(LABELS[trigger]),
        path=page,
        due=format_day(due, plan) if due else None,
        days_late=days_late(due, now, plan) if due else 0,
        step=len(taken.get(unit.id, set())),
        if_late=_next_step(plan, due, taken.get(unit.id, set()), now) if due else None,
    )


def _subjects(session: Session, units: Iterable[Unit]) -> dict[int, str]:
    units = list(units)
    member_ids = [u.member_id for u in units if u.member_id is not None]
    members = dict(
        session.exec(
            select(Member.id, Member.full_name).where(col(Member.id).in_(member_ids))
        ).all()
    )
    directory = Directory.load(session) if units else None
    names = {}
    for u in units:
        assert u.id is not None
        if u.member_id is not None:
            names[u.id] = members.get(u.member_id, u.code)
        elif directory is not None:
            names[u.id] = directory.orgs[u.organization_id].name
    return names


def _remediation(
    session: Session, person: Person, cycles: list[Cycle], now: datetime
) -> list[Task]:
    if person.member_code is None:
        return []
    rows = session.exec(
        select(Shortcoming, Unit, Cycle)
        .join(Unit, col(Unit.id) == col(Shortcoming.unit_id))
        .join(Cycle, col(Cycle.id) == col(Unit.cycle_id))
        .join(Member, col(Member.id) == col(Shortcoming.owner_id))
        .where(
            Member.code == person.member_code,
            col(Shortcoming.status).in_(
                [s for s in RemediationStatus if not RemediationStatus(s).is_remedied]
            ),
        )
        .order_by(func.coalesce(col(Shortcoming.due_at), now))
    ).all()
    tasks = []
    for item, unit, cycle in rows:
        plan = plan_of(cycle)
        tasks.append(
            Task(
                cycle=cycle.code,
                unit=unit.code,
                subject=item.text,
                trigger="remediation",
                what=_(LABELS["remediation"]),
                path=links.remediation(cycle.code),
                due=format_day(item.due_at, plan) if item.due_at else None,
                days_late=days_late(item.due_at, now, plan) if item.due_at else 0,
            )
        )
    return tasks


__all__ = ["Task", "tasks_of"]
