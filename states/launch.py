"""Launch a cycle: the cycle row, every unit and deadline in bulk, and the plan-issued mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

from models.cycle import Cycle, Unit, UnitKind
from models.errors import ActionRefused, PlanInvalid, Refusal
from models.organization import Member, OrgLevel
from models.settings import Settings
from notifications import Mail, queue
from states import links
from states._mail import mail_to
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
    members = session.exec(select(Member).where(col(Member.organization_id).in_(scope_ids))).all()

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
    for member in members:
        add(UnitKind.MEMBER, member.code, member.organization_id, member.id)
        if member.leads_id in scope_ids:
            add(UnitKind.LEADER, member.code, member.leads_id, member.id)
    # Core inserts of the tables: the ORM's bulk path costs several times as much per row.
    session.connection().execute(insert(SQLModel.metadata.tables["unit"]), rows)
    units = session.exec(select(Unit).where(Unit.cycle_id == cycle.id)).all()

    regular = {s: plan.due_at(d) for s, d in plan.due.as_dict().items()}
    pilot = (
        {s: plan.due_at(d) for s, d in plan.pilots.due.as_dict().items()}
        if plan.pilots
        else regular
    )
    session.execute(
        insert(SQLModel.metadata.tables["stagedeadline"]),
        [
            {"unit_id": u.id, "stage": s, "due_at": (pilot if u.pilot else regular)[s]}
            for u in units
            for s in STAGES
        ],
    )
    summary = LaunchSummary(cycle=plan.code, created=True, pilot_units=sum(u.pilot for u in units))
    for u in units:
        summary.units[u.kind.value] = summary.units.get(u.kind.value, 0) + 1
    mails = _plan_issued_mails(cycle, plan, units, members, directory, regular, pilot, settings)
    summary.mails_queued = queue(
        session, mails, now=now, sender=settings.smtp_from, quiet_until=plan.quiet_until(now)
    )
    return summary


def _plan_issued_mails(
    cycle: Cycle,
    plan: Plan,
    units: Any,
    members: Any,
    directory: Directory,
    regular: dict[str, datetime],
    pilot: dict[str, datetime],
    settings: Settings,
) -> list[Mail]:
    """One mail per address, listing every unit that address answers for, with its deadlines."""
    by_member = {m.id: m for m in members}
    grouped: dict[str, tuple[Recipient, list[dict[str, Any]]]] = {}
    for u in units:
        m = by_member.get(u.member_id)
        to = resolve("unit", UnitRef.of(u, m), directory, standing_org_id=cycle.launched_by_id)
        if to is None:
            continue
        dues = pilot if u.pilot else regular
        name = m.full_name if m else directory.orgs[u.organization_id].name
        grouped.setdefault(to.email, (to, []))[1].append(
            {
                "unit_code": u.code,
                "unit_name": name,
                "kind": u.kind.value,
                "dues": [{"stage": s, "due_local": format_day(dues[s], plan)} for s in STAGES],
            }
        )
    context = mail_context(cycle, directory.orgs[cycle.launched_by_id].name)
    return [
        mail_to(
            to,
            kind="plan_issued",
            key=f"plan:{cycle.code}:{email}",
            cycle_id=cycle.id,
            cycle=context,
            context={
                "units": items,
                "link": links.url(
                    settings.base_url,
                    links.one_or_tasks(
                        {links.self_review(cycle.code, i["unit_code"]) for i in items}
                    ),
                ),
            },
            settings=settings,
        )
        for email, (to, items) in grouped.items()
    ]
