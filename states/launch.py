"""Launch a cycle: the cycle row, every unit and deadline in bulk, and the plan-issued mail."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import case, insert, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from models._sql import driver_executemany
from models._types import UTCDateTime
from models.cycle import Cycle, UnitKind
from models.errors import ActionRefused, PlanInvalid, Refusal
from models.organization import Member, OrgLevel
from models.settings import Settings
from notifications import Mail, Slot, queue
from states import links
from states._mail import mails_to
from states.ballot_box import create_ballot_key
from states.cycles import format_day, mail_context
from states.directory import Directory
from states.machine import STAGES, UnitState
from states.plan import Plan
from states.plan_references import reference_problems
from states.recipients import Recipient, UnitRef, resolve
from states.rule_set import load_rule_set
from vocabulary import dates


@dataclass
class LaunchSummary:
    cycle: str
    created: bool
    units: dict[str, int] = field(default_factory=dict)
    pilot_units: int = 0
    mails_queued: int = 0


def launch(
    *, session: Session, plan: Plan, now: datetime, settings: Settings, source: str = "plan"
) -> LaunchSummary:
    """Create the cycle; relaunching the same plan is a no-op, a different one is refused."""
    existing = session.exec(select(Cycle).where(Cycle.code == plan.code)).first()
    plan_json = plan.model_dump_json()
    if existing is not None:
        if existing.plan_json != plan_json:
            raise ActionRefused(
                Refusal(
                    "cycle_launched_with_another_plan",
                    fields={"cycle": plan.code, "day": dates.day(existing.launched_at, plan.zone)},
                )
            )
        return LaunchSummary(cycle=plan.code, created=False)
    problems = reference_problems(session, plan.model_dump(), source=source)
    if problems:
        raise PlanInvalid(problems)
    directory = Directory.load(session)
    previous = None
    if plan.previous_cycle:
        previous = session.exec(select(Cycle).where(Cycle.code == plan.previous_cycle)).one()
    root = directory.by_code[plan.launched_by]
    rules = load_rule_set(plan.rule_set)
    # A secret ballot's key pair is made now, once the plan is known good: the private half to
    # a file in keys_dir (a launch that fails later leaves a key nothing uses), the public
    # half in the cycle row.
    public_key = (
        create_ballot_key(settings=settings, cycle_code=plan.code)
        if rules.vote.ballot == "secret"
        else None
    )
    cycle = Cycle(
        code=plan.code,
        title=plan.title,
        document=plan.document,
        launched_by_id=root.id,
        rule_set=plan.rule_set,
        timezone=plan.timezone,
        plan_json=plan_json,
        rule_set_json=rules.model_dump_json(),
        launched_at=now,
        previous_cycle_id=previous.id if previous else None,
        ballot_public_key=public_key,
    )
    session.add(cycle)
    session.flush()
    scope = [o for o in directory.orgs.values() if o.path.startswith(root.path)]
    scope_ids = {o.id for o in scope}
    pilot_paths = [
        directory.by_code[c].path for c in (plan.pilots.organizations if plan.pilots else [])
    ]
    m = Member
    members = session.execute(
        sa_select(
            col(m.id),
            col(m.code),
            col(m.organization_id),
            col(m.leads_id),
            col(m.email),
            col(m.full_name),
        ).where(col(m.organization_id).in_(scope_ids))
    ).all()

    # One tuple per unit, (code, kind, organization id, member id, pilot), in the order the
    # units are inserted (so their ids); a pilot is decided once per organization.
    pilots: dict[int, bool] = {}

    def pilot_of(org_id: int) -> bool:
        known = pilots.get(org_id)
        if known is None:
            path = directory.orgs[org_id].path
            known = pilots[org_id] = any(path.startswith(p) for p in pilot_paths)
        return known

    org_kind, leadership, member_kind, leader = (
        UnitKind.ORGANIZATION,
        UnitKind.LEADERSHIP,
        UnitKind.MEMBER,
        UnitKind.LEADER,
    )
    o, t, mp, lp = (f"{k.prefix}:" for k in (org_kind, leadership, member_kind, leader))
    rows: list[_UnitRow] = []
    for org in scope:
        pilot_org = pilot_of(org.id)
        rows.append((o + org.code, org_kind, org.id, None, pilot_org))
        if org.level is not OrgLevel.CELL:
            rows.append((t + org.code, leadership, org.id, None, pilot_org))
    for member_id, code, org_id, leads_id, _, _ in members:
        rows.append((mp + code, member_kind, org_id, member_id, pilot_of(org_id)))
        if leads_id in scope_ids:
            rows.append((lp + code, leader, leads_id, member_id, pilot_of(leads_id)))
    _insert_units(session, cycle.id, rows, now)

    regular = {s: plan.due_at(d) for s, d in plan.due.as_dict().items()}
    pilot = (
        {s: plan.due_at(d) for s, d in plan.pilots.due.as_dict().items()}
        if plan.pilots
        else regular
    )
    unit, deadline = SQLModel.metadata.tables["unit"], SQLModel.metadata.tables["stagedeadline"]
    for stage in STAGES:
        due = case(
            (unit.c.pilot, literal(pilot[stage], UTCDateTime)),
            else_=literal(regular[stage], UTCDateTime),
        )
        session.execute(
            insert(deadline).from_select(
                ["unit_id", "stage", "due_at"],
                sa_select(unit.c.id, literal(stage), due).where(unit.c.cycle_id == cycle.id),
            )
        )
    kinds = Counter(r[1] for r in rows)
    summary = LaunchSummary(
        cycle=plan.code,
        created=True,
        units={k.value: n for k, n in kinds.items()},
        pilot_units=sum(r[4] for r in rows),
    )
    mails = _plan_issued_mails(cycle, plan, rows, members, directory, regular, pilot, settings)
    summary.mails_queued = queue(
        session, mails, now=now, sender=settings.smtp_from, quiet_until=plan.quiet_until(now)
    )
    return summary


_UnitRow = tuple[str, UnitKind, int, "int | None", bool]
# The unit columns a launch writes, in the table's order (`driver_executemany`).
_UNIT_COLUMNS = (
    "cycle_id",
    "code",
    "kind",
    "organization_id",
    "member_id",
    "state",
    "has_shortcomings",
    "vote_round",
    "pilot",
    "updated_at",
)


def _insert_units(session: Session, cycle_id: Any, rows: list[_UnitRow], now: datetime) -> None:
    """Every unit of the cycle in one statement: on SQLite straight to the driver (binding
    them through SQLAlchemy was most of inserting them), elsewhere by a Core insert."""
    state = UnitState.PLAN_ISSUED.value
    values = (
        (cycle_id, code, kind, org_id, member_id, state, False, 1, pilot, now)
        for code, kind, org_id, member_id, pilot in rows
    )
    table = SQLModel.metadata.tables["unit"]
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        driver_executemany(connection, insert(table), _UNIT_COLUMNS, values)
        return
    connection.execute(insert(table), [dict(zip(_UNIT_COLUMNS, v, strict=True)) for v in values])


def _plan_issued_mails(
    cycle: Cycle,
    plan: Plan,
    units: list[_UnitRow],
    members: Any,
    directory: Directory,
    regular: dict[str, datetime],
    pilot: dict[str, datetime],
    settings: Settings,
) -> Iterator[Mail]:
    """One mail per address, listing every unit that address answers for, with its deadlines."""
    by_member = {row[0]: row for row in members}
    # Two deadline lists in all (the pilots' and everyone else's), each day worded once.
    dues = {
        flag: [{"stage": s, "due_local": format_day(days[s], plan)} for s in STAGES]
        for flag, days in ((False, regular), (True, pilot))
    }
    grouped: dict[str, tuple[Recipient, list[dict[str, Any]], list[str]]] = {}
    standing = cycle.launched_by_id
    assert standing is not None
    kind_names = {k: k.value for k in UnitKind}  # an enum's .value is a call
    # Each mail lists its units organization by organization.
    for code, kind, org_id, member_id, is_pilot in sorted(units, key=itemgetter(2)):
        m = by_member.get(member_id) if member_id is not None else None
        if m is not None:
            ref = UnitRef(kind, org_id, m[4], m[5], m[0])
            name = m[5]
        else:
            ref = UnitRef(kind, org_id)
            name = directory.orgs[org_id].name
        to = resolve("unit", ref, directory, standing_org_id=standing)
        if to is None:
            continue
        entry = grouped.get(to.email)
        if entry is None:
            entry = grouped[to.email] = (to, [], [])
        entry[1].append(
            {
                "unit_code": Slot(code),
                "unit_name": Slot(name),
                "kind": kind_names[kind],
                "dues": dues[is_pilot],
            }
        )
        entry[2].append(code)
    context = mail_context(cycle, directory.orgs[standing].name)
    base, tasks = settings.base_url, links.url(settings.base_url, links.my_tasks())
    return mails_to(
        (
            (
                to,
                f"plan:{cycle.code}:{email}",
                {
                    "units": items,
                    "link": Slot(
                        # links.one_or_tasks, without making pages it would not use
                        links.url(base, links.self_review(cycle.code, codes[0]))
                        if len(codes) == 1
                        else tasks
                    ),
                },
            )
            for email, (to, items, codes) in grouped.items()
        ),
        kind="plan_issued",
        cycle_id=cycle.id,
        cycle=context,
        settings=settings,
    )
