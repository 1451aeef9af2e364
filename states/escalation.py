"""Escalate missed deadlines up the ladder: each step once per unit and stage, one digest
per recipient per tick.

For every (stage, step) one INSERT … SELECT records the units whose step time has come, with
ON CONFLICT DO NOTHING on (unit, stage, step): that unique key is what makes "once" hold,
whatever reruns or runs beside this tick. The mail for the rows this tick inserted is queued
in the same transaction, so a step is never recorded without its mail, nor mailed twice.
It is queued as data (`notifications.deferred`: each mail's context as JSON, under its
idempotency key) and rendered at delivery: a province's tick writes rows, not mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, literal, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models._sql import insert_ignoring_duplicates
from models._types import UTCDateTime
from models.cycle import Cycle, Escalation, StageDeadline, Tick, Unit, UnitKind
from models.organization import Member
from models.settings import Settings
from notifications import Mail, deferred, queue
from states import links
from states.cycles import days_late, format_day, mail_context, plan_of
from states.directory import Directory
from states.insights import at_risk
from states.machine import STAGE_OF_STATE
from states.opinions import ask_opinions
from states.plan import Plan
from states.recipients import StepRecipients, team_contacts


@dataclass
class EscalationResult:
    steps: int = 0
    digests: int = 0
    opinion_requests: int = 0
    unresolved: list[str] = field(default_factory=list)


def _record_due_steps(session: Session, cycle: Cycle, plan: Plan, tick: Tick, now: datetime) -> int:
    """Insert every escalation step whose time has come; return how many were inserted."""
    inserted = 0
    for state, stage in STAGE_OF_STATE.items():
        for step, rung in enumerate(plan.escalation):
            conditions = [
                col(Unit.cycle_id) == cycle.id,
                col(Unit.state) == state.value,
                col(StageDeadline.due_at) <= now - rung.offset,
            ]
            if rung.offset.total_seconds() < 0:
                # A reminder is for before the due time; once it has passed, it is dropped.
                conditions.append(col(StageDeadline.due_at) > now)
            due_units = (
                sa_select(
                    col(Unit.id),
                    literal(stage),
                    literal(step),
                    literal(tick.id),
                    literal(now, UTCDateTime()),
                )
                .select_from(Unit)
                .join(
                    StageDeadline,
                    and_(
                        col(StageDeadline.unit_id) == col(Unit.id),
                        col(StageDeadline.stage) == stage,
                    ),
                )
                .where(*conditions)
            )
            statement = (
                insert_ignoring_duplicates(session, Escalation)
                .from_select(["unit_id", "stage", "step", "tick_id", "queued_at"], due_units)
                .returning(col(Escalation.id))
            )
            # Counted only (PostgreSQL gives no rowcount here): the steps are read back with
            # their units, members and deadlines (`_steps`).
            inserted += len(session.connection().execute(statement).all())
    return inserted


def escalate(
    *, session: Session, cycle: Cycle, tick: Tick, now: datetime, settings: Settings
) -> EscalationResult:
    """Record due ladder steps and queue one mail per recipient for all of them."""
    plan = plan_of(cycle)
    result = EscalationResult()
    assert tick.id is not None
    result.opinion_requests = ask_opinions(
        session, cycle, tick_id=tick.id, now=now, settings=settings
    )
    result.steps = _record_due_steps(session, cycle, plan, tick, now)
    if not result.steps:
        return result
    directory = Directory.for_cycle(session, cycle)
    inbox = _gather(session, cycle, plan, tick, now, directory, result)
    # Organizations whose pace will miss a coming deadline, for the committees' digests.
    warnings = (
        at_risk(session=session, cycle=cycle, now=now)
        if any(_kind(box.roles) == "digest" for box in inbox.values())
        else []
    )
    result.digests = queue(
        session,
        _mails(cycle, tick, inbox, directory, settings, warnings),
        now=now,
        sender=settings.smtp_from,
        quiet_until=plan.quiet_until(now),
    )
    return result


def _steps(tick: Tick) -> Any:
    """Each step this tick recorded (the escalation rows carrying its id) with its unit,
    member and deadline, as rows."""
    return (
        sa_select(
            col(Escalation.unit_id),
            col(Escalation.stage),
            col(Escalation.step),
            col(Unit.code),
            type_coerce(col(Unit.kind), String),  # decoded once per kind (`_gather`)
            col(Unit.organization_id),
            col(Member.id),
            col(Member.email),
            col(Member.full_name),
            type_coerce(col(StageDeadline.due_at), String),  # and once per due time
        )
        .select_from(Escalation)
        .join(Unit, col(Unit.id) == col(Escalation.unit_id))
        .join(
            StageDeadline,
            and_(
                col(StageDeadline.unit_id) == col(Escalation.unit_id),
                col(StageDeadline.stage) == col(Escalation.stage),
            ),
        )
        .outerjoin(Member, col(Member.id) == col(Unit.member_id))
        .where(col(Escalation.tick_id) == tick.id)
    )


def _gather(
    session: Session,
    cycle: Cycle,
    plan: Plan,
    tick: Tick,
    now: datetime,
    directory: Directory,
    result: EscalationResult,
) -> dict[str, _Box]:
    """What each address is told of the steps this tick recorded."""
    recipients = StepRecipients(directory, cycle, team_contacts(session, plan))
    inbox: dict[str, _Box] = {}
    items: dict[tuple[int, str], tuple[tuple[str, str, str], str]] = {}
    # Per step: whom it tells (telling the committee above a unit also copies the directing
    # team following it) and as whom (a reminder, or the role); a rung's offset is parsed text.
    ladder = [
        [
            (role, "reminder" if rung.offset.total_seconds() < 0 else role)
            for role in dict.fromkeys([*rung.notify, *(["team"] * ("higher" in rung.notify))])
        ]
        for rung in plan.escalation
    ]
    days: dict[Any, tuple[str, int]] = {}  # many units share a due time: worded once
    # Per step, stage and kind (as stored): the kind, and each role the step tells with what
    # it is told as and whether it is the unit's own member (`StepRecipients.direct`).
    shapes: dict[tuple[int, str, Any], tuple[UnitKind, str, list[tuple[str, str, bool]]]] = {}
    tops: dict[int, str] = {}  # each organization's rollup code
    connection = session.connection()
    as_kind = _decoder(Unit, "kind", connection.dialect)
    as_instant = _decoder(StageDeadline, "due_at", connection.dialect)
    find, team_of, direct = recipients.find, recipients.team, recipients.direct
    for unit_id, stage, step, code, kind, org_id, member_id, email, name, due_at in (
        connection.execute(_steps(tick))  # Core rows, kind and due time as stored (see above)
    ):
        shape = shapes.get((step, stage, kind))
        if shape is None:
            unit_kind = UnitKind(as_kind(kind))
            shape = shapes[(step, stage, kind)] = (
                unit_kind,
                unit_kind.value,
                [(role, told, direct(role, stage, unit_kind)) for role, told in ladder[step]],
            )
        unit_kind, kind_name, roles = shape
        made = items.get((unit_id, stage))
        if made is None:
            org_name = directory.orgs[org_id].name
            day = days.get(due_at)
            if day is None:
                instant = as_instant(due_at)
                day = days[due_at] = (format_day(instant, plan), days_late(instant, now, plan))
            # The item as the templates see it, written as JSON once for every mail it is in.
            made = items[(unit_id, stage)] = (
                (org_name, stage, code),
                deferred.unit_item(
                    unit_code=code,
                    kind=kind_name,
                    stage=stage,
                    unit_name=name if member_id is not None else org_name,
                    org_name=org_name,
                    due_local=day[0],
                    days_late=day[1],
                ),
            )
        top = tops.get(org_id)
        if top is None:
            top = tops[org_id] = directory.rollup(org_id).code
        for role, told_as, own in roles:
            ref: str | None
            if own and member_id is not None and email:
                address, to_name, member_in_ref = email, name or email, True
                ref = f"unit|{kind_name}|{org_id}|"
            elif role == "team":
                team = team_of(org_id)
                if team is None:
                    continue  # no team follows this organization
                address, to_name, ref, member_in_ref = team.email, team.name, None, False
            else:
                found = find(role, stage, unit_kind, org_id)
                address, to_name, ref, member_in_ref = found or (None, "", None, False)
            if not address:
                result.unresolved.append(f"{code}: no address for {role} anywhere up the tree")
                continue
            box = inbox.get(address)
            if box is None:
                # The ref is `resolve`'s, made only for an address's first box.
                if ref is not None and member_in_ref:
                    ref += str(member_id or "")
                box = inbox[address] = _Box(to_name, ref)
            box.orgs.add(top)
            box.roles.add(told_as)
            box.items[(unit_id, stage)] = made
    return inbox


def _decoder(table: Any, column: str, dialect: Any) -> Any:
    """What the column's type makes of a value as the driver returns it (`_steps` reads the
    kind and due time uncoerced: a province's units share a few of each, decoded once)."""
    process = table.__table__.c[column].type.dialect_impl(dialect).result_processor(dialect, None)
    return process or (lambda value: value)


class _Box:
    """What one address is told this tick: the items by (unit, stage), and as whom. (A
    plain class with slots: a province's tick makes one for each of tens of thousands.)"""

    __slots__ = ("name", "ref", "items", "roles", "orgs")

    def __init__(self, name: str, ref: str | None) -> None:
        self.name, self.ref = name, ref
        self.items: dict[tuple[int, str], tuple[tuple[str, str, str], str]] = {}
        self.roles: set[str] = set()
        self.orgs: set[str] = set()


def _kind(roles: set[str]) -> str:
    """A recipient told only of their own upcoming work gets a reminder; only of work they
    answer for, an overdue notice; anyone told of units above them, the escalation digest."""
    if roles == {"reminder"}:
        return "reminder"
    if roles <= {"reminder", "unit", "secretary"}:
        return "overdue"
    return "digest"


def _page(
    kind: str, cycle: str, items: list[tuple[str, str, str]], pages: dict[tuple[str, str], str]
) -> str:
    """A reminder or notice links to where the work is done; a committee's digest to the
    cycle's dashboard. `pages`: each (stage, unit code)'s page, found once for all mails."""
    if kind == "digest":
        return links.cycle_page(cycle)
    found = set()
    for _, stage, code in items:
        page = pages.get((stage, code))
        if page is None:
            page = pages[(stage, code)] = links.stage_page(stage, cycle, code)
        found.add(page)
    return links.one_or_tasks(found)


def _mails(
    cycle: Cycle,
    tick: Tick,
    inbox: dict[str, _Box],
    directory: Directory,
    settings: Settings,
    warnings: list[dict[str, Any]],
) -> Iterator[Mail]:
    """One mail per address, queued as data (`notifications.deferred`): rendered at
    delivery, in the language of these settings, its page links signed then."""
    context = mail_context(cycle, directory.orgs[cycle.launched_by_id].name)
    pages: dict[tuple[str, str], str] = {}
    shared = deferred.Shared(lang=settings.lang, cycle=context)
    # Each warning written as JSON once, for every digest that lists it.
    warned = [(w, deferred.item(w)) for w in warnings]
    # Read once, not per mail (a table's attributes are instrumented).
    code, cycle_id, tick_id, base_url = cycle.code, cycle.id, tick.id, settings.base_url
    for email, box in sorted(inbox.items()):
        kind = _kind(box.roles)
        ordered = sorted(box.items.values())  # by organization, stage and unit code
        page = _page(kind, code, [k for k, _ in ordered], pages)
        at_risk = None
        if kind == "digest":
            # The launching committee hears of every organization at risk; others of theirs.
            at_risk = [
                text
                for w, text in warned
                if "standing" in box.roles or w["organization"] in box.orgs
            ]
        yield Mail(
            key=f"digest:{code}:{email}:tick-{tick_id}",
            kind=kind,
            recipient=email,
            recipient_name=box.name,
            recipient_ref=box.ref,
            cycle_id=cycle_id,
            rendered=None,
            payload=shared.payload(
                recipient_name=box.name,
                link=links.url(base_url, page),
                items=[i for _, i in ordered],
                at_risk=at_risk,
            ),
            # Committees' digests are escalations: they go out in quiet hours too.
            urgent=kind == "digest",
        )
