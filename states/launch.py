"""Launch a cycle: the cycle row, every unit and deadline in bulk, and the plan-issued mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, insert, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

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

    rows: list[dict[str, Any]] = []

    def add(kind: UnitKind, subject: str, org_id: int, member_id: int | None = None) -> None:
        path = directory.orgs[org_id].path
        rows.append(
            {
                "cycle_id": cycle.id,
                "code": f"{kind.prefix}:{subject}",
                "kind": kind,
                "organization_id": org_id,
                "member_id": member_id,
                "state": UnitState.PLAN_ISSUED,
                "pilot": any(path.startswith(p) for p in pilot_paths),
                "updated_at": now,
            }
        )

    for org in scope:
        add(UnitKind.ORGANIZATION, org.code, org.id)
        if org.level is not OrgLevel.CELL:
            add(UnitKind.LEADERSHIP, org.code, org.id)
    for member_id, code, org_id, leads_id, _, _ in members:
        add(UnitKind.MEMBER, code, org_id, member_id)
        if leads_id in scope_ids:
            add(UnitKind.LEADER, code, leads_id, member_id)
    # Core inserts of the tables: the ORM's bulk path costs several times as much per row.
    # Nothing is read back: the deadlines are one INSERT ... SELECT per stage, and the mail is
    # made from the rows above.
    session.connection().execute(insert(SQLModel.metadata.tables["unit"]), rows)

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
    summary = LaunchSummary(
        cycle=plan.code, created=True, pilot_units=sum(r["pilot"] for r in rows)
    )
    for r in rows:
        summary.units[r["kind"].value] = summary.units.get(r["kind"].value, 0) + 1
    mails = _plan_issued_mails(cycle, plan, rows, members, directory, regular, pilot, settings)
    summary.mails_queued = queue(
        session, mails, now=now, sender=settings.smtp_from, quiet_until=plan.quiet_until(now)
    )
    return summary


def _plan_issued_mails(
    cycle: Cycle,
    plan: Plan,
    units: list[dict[str, Any]],
    members: Any,
    directory: Directory,
    regular: dict[str, datetime],
    pilot: dict[str, datetime],
    settings: Settings,
) -> list[Mail]:
    """One mail per address, listing every unit that address answers for, with its deadlines."""
    by_member = {row[0]: row for row in members}
    # Two deadline lists in all (the pilots' and everyone else's), each day worded once.
    dues = {
        flag: [{"stage": s, "due_local": format_day(days[s], plan)} for s in STAGES]
        for flag, days in ((False, regular), (True, pilot))
    }
    grouped: dict[str, tuple[Recipient, list[dict[str, Any]], set[str]]] = {}
    # Each mail lists its units organization by organization.
    for u in sorted(units, key=lambda u: u["organization_id"]):
        m = by_member.get(u["member_id"])
        ref = (
            UnitRef(u["kind"], u["organization_id"], m[4], m[5], m[0])
            if m
            else UnitRef(u["kind"], u["organization_id"])
        )
        to = resolve("unit", ref, directory, standing_org_id=cycle.launched_by_id)
        if to is None:
            continue
        name = m[5] if m else directory.orgs[u["organization_id"]].name
        entry = grouped.setdefault(to.email, (to, [], set()))
        entry[1].append(
            {
                "unit_code": Slot(u["code"]),
                "unit_name": Slot(name),
                "kind": u["kind"].value,
                "dues": dues[u["pilot"]],
            }
        )
        entry[2].add(u["code"])
    context = mail_context(cycle, directory.orgs[cycle.launched_by_id].name)
    return mails_to(
        [
            (
                to,
                f"plan:{cycle.code}:{email}",
                {
                    "units": items,
                    "link": Slot(
                        links.url(
                            settings.base_url,
                            # links.one_or_tasks, without making pages it would not use
                            links.self_review(cycle.code, next(iter(codes)))
                            if len(codes) == 1
                            else links.my_tasks(),
                        )
                    ),
                },
            )
            for email, (to, items, codes) in grouped.items()
        ],
        kind="plan_issued",
        cycle_id=cycle.id,
        cycle=context,
        settings=settings,
    )
