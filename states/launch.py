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
from states._mail import mail_to
from states.ballot_box import create_ballot_key
from states.cycles import format_day, mail_context
from states.directory import Directory
from states.machine import STAGES, UnitState
from states.plan import Plan
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


def _check_references(plan: Plan, directory: Directory, members: set[str]) -> None:
    """Every organization and member the plan names must have been imported."""
    problems = []
    if plan.launched_by not in directory.by_code:
        problems.append(f"launched_by: {plan.launched_by!r} is not an imported organization")
    for i, code in enumerate(plan.pilots.organizations if plan.pilots else []):
        if code not in directory.by_code:
            problems.append(f"pilots.organizations[{i}]: {code!r} is not an imported organization")
    for t, team in enumerate(plan.directing_teams):
        for i, code in enumerate(team.organizations):
            if code not in directory.by_code:
                problems.append(
                    f"directing_teams[{t}].organizations[{i}]: {code!r} is not an imported "
                    "organization"
                )
        if team.lead and team.lead not in members:
            problems.append(f"directing_teams[{t}].lead: {team.lead!r} is not an imported member")
    for i, code in enumerate(plan.inspection_commission):
        if code not in members:
            problems.append(f"inspection_commission[{i}]: {code!r} is not an imported member")
    for o, office in enumerate(plan.opinions.offices):
        for i, code in enumerate(office.organizations):
            if code not in directory.by_code:
                problems.append(
                    f"opinions.offices[{o}].organizations[{i}]: {code!r} is not an imported "
                    "organization"
                )
    problems += _higher_committee_problems(plan, directory)
    if problems:
        raise PlanInvalid(problems)


def _higher_committee_problems(plan: Plan, directory: Directory) -> list[str]:
    """The launching committee's own units are decided above it: by the plan's
    `higher_committee`, an imported organization above it, or else by its parent."""
    launching = directory.by_code.get(plan.launched_by)
    if launching is None:
        return []
    above = [node.code for node in directory.lineage(launching.id)][1:]
    if plan.higher_committee is None:
        if above:
            return []
        return [
            f"higher_committee: {plan.launched_by} has no organization above it in the tree, so "
            "nobody could decide its own collective, leadership and head; import the committee "
            "above it (as its parent_code) and name it here"
        ]
    if plan.higher_committee not in above:
        where = ", ".join(above) or "none is imported"
        return [
            f"higher_committee: {plan.higher_committee!r} is not an imported organization above "
            f"{plan.launched_by} (above it: {where})"
        ]
    return []


def launch(*, session: Session, plan: Plan, now: datetime, settings: Settings) -> LaunchSummary:
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
    directory = Directory.load(session)
    named = [t.lead for t in plan.directing_teams if t.lead] + plan.inspection_commission
    known = set(session.exec(select(Member.code).where(col(Member.code).in_(named))).all())
    _check_references(plan, directory, known)
    previous = None
    if plan.previous_cycle:
        previous = session.exec(select(Cycle).where(Cycle.code == plan.previous_cycle)).first()
        if previous is None:
            raise PlanInvalid(
                [f"previous_cycle: {plan.previous_cycle!r} is not a cycle in this database"]
            )
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
            context={"units": items, "link": f"{settings.base_url}/cycles/{cycle.code}"},
            settings=settings,
        )
        for email, (to, items) in grouped.items()
    ]
