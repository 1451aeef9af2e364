"""Escalate missed deadlines up the ladder: each step once per unit and stage, one digest
per recipient per tick.

For every (stage, step) one INSERT … SELECT records the units whose step time has come, with
ON CONFLICT DO NOTHING on (unit, stage, step): that unique key is what makes "once" hold,
whatever reruns or runs beside this tick. The mail for the rows this tick inserted is queued
in the same transaction, so a step is never recorded without its mail, nor mailed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, literal
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models._sql import insert_ignoring_duplicates
from models._types import UTCDateTime
from models.cycle import Cycle, Escalation, StageDeadline, Tick, Unit
from models.organization import Member
from models.settings import Settings
from notifications import Mail, Slot, queue
from states import links
from states._mail import mail_to, mails_to
from states.cycles import days_late, format_day, mail_context, plan_of
from states.directory import Directory
from states.insights import at_risk
from states.machine import STAGE_OF_STATE
from states.opinions import ask_opinions
from states.plan import Plan
from states.recipients import (
    Recipient,
    UnitRef,
    resolve,
    team_contacts,
    team_for,
    who_acts,
)


@dataclass
class EscalationResult:
    steps: int = 0
    digests: int = 0
    opinion_requests: int = 0
    unresolved: list[str] = field(default_factory=list)


def _record_due_steps(
    session: Session, cycle: Cycle, plan: Plan, tick: Tick, now: datetime
) -> list[tuple[int, str, int]]:
    """Insert every escalation step whose time has come; return (unit, stage, step) inserted."""
    inserted: list[tuple[int, str, int]] = []
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
                .returning(col(Escalation.unit_id))
            )
            inserted += [(u, stage, step) for u in session.execute(statement).scalars()]
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
    inserted = _record_due_steps(session, cycle, plan, tick, now)
    result.steps = len(inserted)
    if not inserted:
        return result
    directory = Directory.load(session)
    unit_ids = sorted({u for u, _, _ in inserted})
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(unit_ids))).all()}
    member_ids = [u.member_id for u in units.values() if u.member_id]
    members = {
        m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(member_ids))).all()
    }
    due = {
        (d.unit_id, d.stage): d.due_at
        for d in session.exec(
            select(StageDeadline).where(col(StageDeadline.unit_id).in_(unit_ids))
        ).all()
    }
    teams = team_contacts(session, plan)
    inbox: dict[str, dict[str, Any]] = {}
    for unit_id, stage, step in inserted:
        unit, rung = units[unit_id], plan.escalation[step]
        member = members.get(unit.member_id) if unit.member_id else None
        ref = UnitRef.of(unit, member)
        due_at = due[(unit_id, stage)]
        item = {
            "unit_code": unit.code,
            "kind": unit.kind.value,
            "stage": stage,
            "unit_name": member.full_name if member else directory.orgs[unit.organization_id].name,
            "org_name": directory.orgs[unit.organization_id].name,
            "due_local": format_day(due_at, plan),
            "days_late": days_late(due_at, now, plan),
        }
        # Telling the committee above a unit also copies the directing team following it.
        roles = [*rung.notify, *(["team"] if "higher" in rung.notify else [])]
        for role in dict.fromkeys(roles):
            if role == "team":
                team = team_for(unit.organization_id, directory, teams)
                if team is None:
                    continue  # no team follows this organization
                to = Recipient(team.email, team.name) if team.email else None
            else:
                acting_role, acting = who_acts(role, stage, ref, directory, cycle)
                to = resolve(acting_role, acting, directory, standing_org_id=cycle.launched_by_id)
            if to is None:
                result.unresolved.append(f"{unit.code}: no address for {role} anywhere up the tree")
                continue
            box = inbox.setdefault(
                to.email,
                {"name": to.name, "ref": to.ref, "items": [], "roles": set(), "orgs": set()},
            )
            box["orgs"].add(directory.rollup(unit.organization_id).code)
            box["roles"].add("reminder" if rung.offset.total_seconds() < 0 else role)
            if item not in box["items"]:
                box["items"].append(item)
    # Organizations whose pace will miss a coming deadline, for the committees' digests.
    warnings = (
        at_risk(session=session, cycle=cycle, now=now)
        if any(_kind(box["roles"]) == "digest" for box in inbox.values())
        else []
    )
    result.digests = queue(
        session,
        _digests(cycle, tick, inbox, directory, settings, warnings),
        now=now,
        sender=settings.smtp_from,
        quiet_until=plan.quiet_until(now),
    )
    return result


def _kind(roles: set[str]) -> str:
    """A recipient told only of their own upcoming work gets a reminder; only of work they
    answer for, an overdue notice; anyone told of units above them, the escalation digest."""
    if roles == {"reminder"}:
        return "reminder"
    if roles <= {"reminder", "unit", "secretary"}:
        return "overdue"
    return "digest"


def _page(kind: str, cycle: Cycle, items: list[dict[str, Any]]) -> str:
    """A reminder or notice links to where the work is done; a committee's digest to the
    cycle's dashboard."""
    if kind == "digest":
        return links.cycle_page(cycle.code)
    return links.one_or_tasks(
        {links.stage_page(i["stage"], cycle.code, i["unit_code"]) for i in items}
    )


def _digests(
    cycle: Cycle,
    tick: Tick,
    inbox: dict[str, dict[str, Any]],
    directory: Directory,
    settings: Settings,
    warnings: list[dict[str, Any]],
) -> list[Mail]:
    context = mail_context(cycle, directory.orgs[cycle.launched_by_id].name)
    mails: list[Mail] = []
    # Reminders and overdue notices (one per member and secretary: most of a tick's mail) are
    # rendered once per shape, names, codes and links written in afterwards.
    alike: dict[str, list[tuple[int, tuple[Recipient, str, dict[str, Any]]]]] = {}
    for email, box in sorted(inbox.items()):
        kind = _kind(box["roles"])
        items = sorted(box["items"], key=lambda i: (i["org_name"], i["stage"], i["unit_code"]))
        extra: dict[str, Any] = {
            "items": items,
            "link": links.url(settings.base_url, _page(kind, cycle, items)),
        }
        key = f"digest:{cycle.code}:{email}:tick-{tick.id}"
        if kind != "digest":
            extra = {
                "items": [{**i, **{k: Slot(i[k]) for k in _PRINTED}} for i in items],
                "link": Slot(extra["link"]),
            }
            to = Recipient(email, box["name"], box["ref"])
            alike.setdefault(kind, []).append((len(mails), (to, key, extra)))
            mails.append(None)  # type: ignore[arg-type]  # its place, filled below
            continue
        # The launching committee hears of every organization at risk; others of theirs.
        extra["at_risk"] = [
            w for w in warnings if "standing" in box["roles"] or w["organization"] in box["orgs"]
        ]
        mails.append(
            mail_to(
                Recipient(email, box["name"], box["ref"]),
                kind=kind,
                key=key,
                cycle_id=cycle.id,
                cycle=context,
                context=extra,
                settings=settings,
                # Committees' digests are escalations: they go out in quiet hours too.
                urgent=True,
            )
        )
    for kind, placed in alike.items():
        made = mails_to(
            [addressed for _, addressed in placed],
            kind=kind,
            cycle_id=cycle.id,
            cycle=context,
            settings=settings,
        )
        for (index, _), mail in zip(placed, made, strict=True):
            mails[index] = mail
    return mails


# What the reminder and overdue templates only print of an item (`_items.j2`).
_PRINTED = ("unit_name", "unit_code", "org_name")
