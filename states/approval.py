"""Higher-level approval (cấp có thẩm quyền quyết định xếp loại) and return for re-review."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from models.cycle import Escalation, Level, Opinion, StageDeadline, Unit
from models.errors import ActionRefused, Refusal
from models.organization import Member
from models.settings import Settings, load_settings
from notifications import queue
from states import links, remediation
from states._mail import mail_to
from states.approval_rules import choice_problem, rule_problems
from states.cycles import format_day, mail_context, plan_of, rules_of
from states.machine import RE_REVIEW, STAGES
from states.publication import published_results, queue_published_mail
from states.recipients import UnitRef, resolve
from states.refusing import refuse_batch
from states.service import ActionResult, Checked, apply_moves, check_action
from states.text_limits import check_lengths

# published_results lives in states.publication; re-exported for existing importers.
__all__ = ["approve", "published_results", "return_for_review"]


def approve(
    *,
    session: Session,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    now: datetime,
    level: Level | None = None,
    reason: str | None = None,
    levels: Mapping[str, Level] | None = None,
    conclusions: Sequence[str] = (),
    settings: Settings | None = None,
) -> ActionResult:
    """Decide each unit's final level and publish it.

    Each unit gets `levels[code]`, else `level`, else its proposed level (confirmed). The
    committee confirms or lowers (a lower level needs a reason the unit reads); it never
    raises. Every rule of the cycle's rule set is checked for all units before anything is
    written; a refusal lists every broken rule. Then the units are published, their
    shortcomings recorded with the committee's `conclusions`, and the results mailed.
    """
    check_lengths(
        [("reason", reason, "reason")]
        + [(f"conclusion[{i}]", c, "conclusion") for i, c in enumerate(conclusions, start=1)]
    )
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=unit_codes,
        actor_code=actor_code,
        trigger="approve",
        lock="update",
    )
    settings = settings or load_settings()
    reason = reason.strip() if reason and reason.strip() else None
    per_unit = dict(levels or {})
    named = {u.code for u in checked.units}
    problems: list[str | Refusal] = [
        Refusal("level_for_unit_not_decided", unit=code, field="set")
        for code in per_unit
        if code not in named
    ]
    decided: dict[str, Level] = {}
    for unit in checked.units:
        final = per_unit.get(unit.code) or level or unit.proposed_level
        refusal = choice_problem(unit.code, unit.proposed_level, final, reason)
        if refusal or final is None:
            problems.append(refusal or f"{unit.code}: no level")
        else:
            decided[unit.code] = final
    members = _members_of(session, checked.units)
    problems += rule_problems(session, checked, decided, rules_of(checked.cycle), members)
    if problems:
        refuse_batch(problems, [u.code for u in checked.units])
    for unit in checked.units:
        unit.final_level = decided[unit.code]
    # Only a lowered level carries the reason; a confirmed one is the vote's own result.
    lowered = {
        u.code: reason
        for u in checked.units
        if reason and u.proposed_level and decided[u.code] is not u.proposed_level
    }
    result = apply_moves(session, checked, trigger="approve", now=now, reasons=lowered)
    remediation.record_shortcomings(
        session,
        checked.cycle,
        checked.units,
        now=now,
        conclusions=conclusions,
        actor=checked.actor,
    )
    queue_published_mail(session, checked, members, reason=reason, now=now, settings=settings)
    return result


def _members_of(session: Session, units: Sequence[Unit]) -> dict[int, Member]:
    ids = [u.member_id for u in units if u.member_id is not None]
    if not ids:
        return {}
    rows = session.exec(select(Member).where(col(Member.id).in_(ids))).all()
    return {m.id: m for m in rows if m.id is not None}


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
    check_lengths([("reason", reason, "reason")])
    if not reason.strip():
        raise ActionRefused(
            Refusal("return_needs_reason", field="reason"), Refusal("nothing_changed")
        )
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=unit_codes,
        actor_code=actor_code,
        trigger="return_for_review",
        lock="update",
    )
    plan = plan_of(checked.cycle)
    re_review_due = plan.due_at(
        (now.astimezone(plan.zone) + timedelta(days=plan.return_days)).date()
    )
    _shift_deadlines(session, checked.units, re_review_due)
    _restart_ladders(session, checked.units)
    _reopen_opinions(session, checked.units)
    for unit in checked.units:
        unit.vote_round += 1  # the re-review is voted on afresh, by everyone again
    result = apply_moves(
        session, checked, trigger="return_for_review", now=now, reason=reason, proposed_level=None
    )
    _queue_returned_mail(session, checked, reason, re_review_due, now, settings)
    return result


# The stages a returned unit does again, each with the ladder it had the first time.
_REDONE = (RE_REVIEW, *STAGES[1:])


def _restart_ladders(session: Session, units: list[Unit]) -> None:
    """A return starts the re-review and every later stage afresh: their ladders' steps
    already taken (the first time, or at an earlier return) are forgotten so each is taken
    again against the new due dates. What was sent stays in the outbox."""
    session.execute(
        delete(Escalation).where(
            col(Escalation.unit_id).in_([u.id for u in units]),
            col(Escalation.stage).in_(_REDONE),
        )
    )


def _reopen_opinions(session: Session, units: list[Unit]) -> None:
    """Opinions not given are awaited again, due with the new peer review, and asked again
    by the next tick; one given stands."""
    due = select(StageDeadline.due_at).where(
        col(StageDeadline.unit_id) == col(Opinion.unit_id), StageDeadline.stage == "peer_review"
    )
    session.execute(
        update(Opinion)
        .where(col(Opinion.unit_id).in_([u.id for u in units]), col(Opinion.received_at).is_(None))
        .values(due_at=due.scalar_subquery(), missing=False, asked_at=None)
        .execution_options(synchronize_session=False)
    )


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
    checked: Checked,
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
            mail_to(
                to,
                kind="returned",
                key=f"returned:{checked.cycle.code}:{unit.code}:{now.isoformat()}",
                cycle_id=checked.cycle.id,
                cycle=context,
                context={
                    "unit_name": name,
                    "unit_code": unit.code,
                    "reason": reason,
                    "due_local": format_day(due, plan),
                    "approver": checked.actor.full_name,
                    "link": links.url(
                        settings.base_url, links.self_review(checked.cycle.code, unit.code)
                    ),
                },
                settings=settings,
            )
        )
    queue(session, mails, now=now, sender=settings.smtp_from, quiet_until=plan.quiet_until(now))
