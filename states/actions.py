"""What people do to units: the one service layer the CLI, the demo and pages call.

Each action checks every named unit against the state machine and its guards first; if any
is refused, it raises ActionRefused listing them all and writes nothing. Otherwise it writes
the new states, one audit entry per move and any mail, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models.cycle import AuditEntry, Ballot, Comment, Cycle, Level, SelfReview, StageDeadline, Unit
from models.errors import ActionRefused
from models.organization import Member
from models.settings import Settings
from notifications import Mail, queue, render
from states.cycles import format_day, get_cycle, get_member, get_units, mail_context, plan_of
from states.guards import PERSON_GUARDS, GuardContext
from states.machine import RE_REVIEW, STAGES, Move, UnitState, machine_for
from states.recipients import UnitRef, resolve


@dataclass
class ActionResult:
    trigger: str
    units: list[str]
    moved: dict[str, tuple[str, str]]


@dataclass
class _Checked:
    cycle: Cycle
    actor: Member
    units: list[Unit]
    moves: list[Move]
    guards: GuardContext


def _check(
    session: Session, *, cycle_code: str, unit_codes: Sequence[str], actor_code: str, trigger: str
) -> _Checked:
    if not unit_codes:
        raise ActionRefused("name at least one unit")
    cycle = get_cycle(session, cycle_code)
    actor = get_member(session, actor_code)
    units = get_units(session, cycle, list(dict.fromkeys(unit_codes)))
    guards = GuardContext.load(session, actor, units)
    problems, moves = [], []
    for unit in units:
        try:
            move = machine_for(unit.kind).move(trigger, unit.state)
        except ActionRefused as exc:
            problems.append(f"{unit.code}: {exc}")
            continue
        if move.by != "person":
            problems.append(
                f"{unit.code}: {trigger!r} is done by the cycle's tick, not by a person"
            )
            continue
        for condition in move.conditions:
            refusal = PERSON_GUARDS[condition](guards, unit)
            if refusal:
                problems.append(f"{unit.code}: {refusal}")
        moves.append(move)
    if problems:
        raise ActionRefused("\n".join([*problems, "Nothing was changed."]))
    return _Checked(cycle, actor, units, moves, guards)


def _apply(
    session: Session,
    checked: _Checked,
    *,
    trigger: str,
    now: datetime,
    reason: str | None = None,
    **values: Any,
) -> ActionResult:
    moved: dict[str, tuple[str, str]] = {}
    audit = []
    for unit, move in zip(checked.units, checked.moves, strict=True):
        if move.dest is None and not values:
            continue  # a comment or a ballot: its own row is the record, the unit is unchanged
        for name, value in values.items():
            setattr(unit, name, value)
        if move.dest is not None:
            moved[unit.code] = (unit.state, move.dest.value)
            audit.append(
                {
                    "unit_id": unit.id,
                    "at": now,
                    "actor": checked.actor.code,
                    "trigger": trigger,
                    "from_state": unit.state,
                    "to_state": move.dest.value,
                    "reason": reason,
                }
            )
            unit.state = move.dest.value
        unit.updated_at = now
        session.add(unit)
    if audit:
        session.execute(insert(AuditEntry), audit)
    session.flush()
    return ActionResult(trigger, [u.code for u in checked.units], moved)


def submit_self_review(
    *,
    session: Session,
    cycle_code: str,
    unit_code: str,
    actor_code: str,
    now: datetime,
    proposed_level: Level,
    strengths: str = "",
    shortcomings: str = "",
    remedies: str = "",
) -> ActionResult:
    """Submit (or, after a return, resubmit) a unit's self-review."""
    checked = _check(
        session,
        cycle_code=cycle_code,
        unit_codes=[unit_code],
        actor_code=actor_code,
        trigger="submit_self_review",
    )
    unit = checked.units[0]
    assert unit.id is not None and checked.actor.id is not None
    session.add(
        SelfReview(
            unit_id=unit.id,
            author_id=checked.actor.id,
            submitted_at=now,
            proposed_level=proposed_level,
            strengths=strengths,
            shortcomings=shortcomings,
            remedies=remedies,
        )
    )
    return _apply(
        session,
        checked,
        trigger="submit_self_review",
        now=now,
        proposed_level=proposed_level,
        has_shortcomings=bool(shortcomings.strip()),
    )


def comment(
    *,
    session: Session,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    now: datetime,
    text: str,
) -> ActionResult:
    """Record a peer-review comment on each named unit."""
    if not text.strip():
        raise ActionRefused("a comment needs text; nothing was changed")
    checked = _check(
        session,
        cycle_code=cycle_code,
        unit_codes=unit_codes,
        actor_code=actor_code,
        trigger="comment",
    )
    session.execute(
        insert(Comment),
        [
            {"unit_id": u.id, "author_id": checked.actor.id, "at": now, "text": text}
            for u in checked.units
        ],
    )
    return _apply(session, checked, trigger="comment", now=now)


def vote(
    *,
    session: Session,
    cycle_code: str,
    ballots: Mapping[str, Level],
    actor_code: str,
    now: datetime,
) -> ActionResult:
    """Cast one voter's ballot paper: a level for each named unit; a voter votes once per unit."""
    checked = _check(
        session,
        cycle_code=cycle_code,
        unit_codes=list(ballots),
        actor_code=actor_code,
        trigger="vote",
    )
    session.execute(
        insert(Ballot),
        [
            {"unit_id": u.id, "voter_id": checked.actor.id, "level": ballots[u.code], "at": now}
            for u in checked.units
        ],
    )
    return _apply(session, checked, trigger="vote", now=now)


def approve(
    *,
    session: Session,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    now: datetime,
    level: Level | None = None,
    reason: str | None = None,
) -> ActionResult:
    """Decide each unit's level: the vote's proposal, or `level` (a lower one needs a reason)."""
    checked = _check(
        session,
        cycle_code=cycle_code,
        unit_codes=unit_codes,
        actor_code=actor_code,
        trigger="approve",
    )
    order = list(Level)
    for unit in checked.units:
        final = level or unit.proposed_level or Level.COMPLETED
        if unit.proposed_level and order.index(final) > order.index(unit.proposed_level):
            if not reason:
                raise ActionRefused(
                    f"{unit.code}: lowering {unit.proposed_level.value} to {final.value} needs "
                    "--reason; nothing was changed"
                )
        unit.final_level = final
    return _apply(session, checked, trigger="approve", now=now, reason=reason)


def return_for_review(
    *,
    session: Session,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    now: datetime,
    reason: str,
    settings: Settings,
) -> ActionResult:
    """Send units back to self-review with a new due date, and tell each unit why."""
    if not reason.strip():
        raise ActionRefused(
            "returning a review needs a reason the unit will read; nothing was changed"
        )
    checked = _check(
        session,
        cycle_code=cycle_code,
        unit_codes=unit_codes,
        actor_code=actor_code,
        trigger="return_for_review",
    )
    plan = plan_of(checked.cycle)
    re_review_due = plan.due_at(
        (now.astimezone(plan.zone) + timedelta(days=plan.return_days)).date()
    )
    _shift_deadlines(session, checked.units, re_review_due)
    result = _apply(
        session, checked, trigger="return_for_review", now=now, reason=reason, proposed_level=None
    )
    _queue_returned_mail(session, checked, reason, re_review_due, now, settings)
    return result


def _shift_deadlines(session: Session, units: list[Unit], re_review_due: datetime) -> None:
    """The re-review is due at `re_review_due`; later stages keep their gaps after it."""
    ids = [u.id for u in units]
    rows = session.exec(select(StageDeadline).where(col(StageDeadline.unit_id).in_(ids))).all()
    by_unit: dict[int, dict[str, StageDeadline]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, {})[row.stage] = row
    for unit_id, stages in by_unit.items():
        start = stages["self_review"].due_at
        for stage in STAGES[1:]:
            stages[stage].due_at = max(
                stages[stage].due_at, re_review_due + (stages[stage].due_at - start)
            )
            session.add(stages[stage])
        if RE_REVIEW in stages:
            stages[RE_REVIEW].due_at = re_review_due
            session.add(stages[RE_REVIEW])
        else:
            session.add(StageDeadline(unit_id=unit_id, stage=RE_REVIEW, due_at=re_review_due))


def _queue_returned_mail(
    session: Session,
    checked: _Checked,
    reason: str,
    due: datetime,
    now: datetime,
    settings: Settings,
) -> None:
    plan = plan_of(checked.cycle)
    directory = checked.guards.directory
    context = mail_context(checked.cycle, directory.orgs[checked.cycle.launched_by_id].name)
    mails = []
    for unit in checked.units:
        member = session.get(Member, unit.member_id) if unit.member_id else None
        ref = UnitRef.of(unit, member)
        to = resolve("unit", ref, directory, standing_org_id=checked.cycle.launched_by_id)
        if to is None:
            continue
        name = member.full_name if member else directory.orgs[unit.organization_id].name
        mails.append(
            Mail(
                key=f"returned:{checked.cycle.code}:{unit.code}:{now.isoformat()}",
                kind="returned",
                recipient=to.email,
                recipient_name=to.name,
                recipient_ref=to.ref,
                cycle_id=checked.cycle.id,
                rendered=render(
                    "returned",
                    {
                        "recipient_name": to.name,
                        "unit_name": name,
                        "unit_code": unit.code,
                        "reason": reason,
                        "due_local": format_day(due, plan),
                        "cycle": context,
                        "approver": checked.actor.full_name,
                        "link": f"{settings.base_url}/cycles/{checked.cycle.code}"
                        f"/units/{unit.code}",
                    },
                    lang=settings.lang,
                ),
            )
        )
    queue(session, mails, now=now, sender=settings.smtp_from, quiet_until=plan.quiet_until(now))


def finish_remediation(
    *,
    session: Session,
    cycle_code: str,
    unit_code: str,
    actor_code: str,
    now: datetime,
    note: str = "",
) -> ActionResult:
    """Report that a unit's shortcomings have been remedied, closing it."""
    checked = _check(
        session,
        cycle_code=cycle_code,
        unit_codes=[unit_code],
        actor_code=actor_code,
        trigger="finish_remediation",
    )
    return _apply(session, checked, trigger="finish_remediation", now=now, reason=note or None)


def allowed_actions(unit: Unit) -> list[str]:
    """What people can do to this unit now, for display."""
    machine = machine_for(unit.kind)
    return [t for t in machine.triggers(unit.state) if machine.move(t, unit.state).by == "person"]


__all__ = [
    "ActionResult",
    "UnitState",
    "allowed_actions",
    "approve",
    "comment",
    "finish_remediation",
    "return_for_review",
    "submit_self_review",
    "vote",
]
