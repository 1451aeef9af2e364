"""Higher-level approval (cấp có thẩm quyền quyết định xếp loại) and return for re-review."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.cycle import AuditEntry, Level, StageDeadline, Unit, UnitKind
from models.errors import ActionRefused
from models.organization import Member, Organization
from models.settings import Settings, load_settings
from notifications import Mail, queue, render
from states import remediation
from states.approval_rules import above, choice_problem, rule_problems
from states.cycles import format_day, get_cycle, get_member, mail_context, plan_of, rules_of
from states.machine import RE_REVIEW, STAGES, UnitState
from states.recipients import Recipient, UnitRef, resolve
from states.service import ActionResult, Checked, apply_moves, check_action


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
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=unit_codes,
        actor_code=actor_code,
        trigger="approve",
    )
    settings = settings or load_settings()
    reason = reason.strip() if reason and reason.strip() else None
    per_unit = dict(levels or {})
    named = {u.code for u in checked.units}
    problems = [
        f"{code}: --set names a unit that is not among the units decided; name it too"
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
        raise ActionRefused("\n".join([*problems, "Nothing was changed."]))
    for unit in checked.units:
        unit.final_level = decided[unit.code]
    result = apply_moves(session, checked, trigger="approve", now=now, reason=reason)
    remediation.record_shortcomings(
        session,
        checked.cycle,
        checked.units,
        now=now,
        conclusions=conclusions,
        actor=checked.actor,
    )
    _queue_published_mail(session, checked, members, reason=reason, now=now, settings=settings)
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
    if not reason.strip():
        raise ActionRefused(
            "returning a review needs a reason the unit will read; nothing was changed"
        )
    checked = check_action(
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
    result = apply_moves(
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


# Where a result may be seen once it is published (the later states keep it visible).
_PUBLISHED = (UnitState.PUBLISHED.value, UnitState.REMEDIATION.value, UnitState.CLOSED.value)


def _result(unit: Unit, name: str, reason: str | None) -> dict[str, str | None]:
    """A unit's result as mail and pages show it; the reason only where the level was lowered."""
    lowered = (
        unit.final_level is not None
        and unit.proposed_level is not None
        and above(unit.proposed_level, unit.final_level)
    )
    return {
        "unit_code": unit.code,
        "unit_name": name,
        "kind": unit.kind.value,
        "level": unit.final_level.value if unit.final_level else None,
        "reason": reason if lowered else None,
    }


def _queue_published_mail(
    session: Session,
    checked: Checked,
    members: Mapping[int, Member],
    *,
    reason: str | None,
    now: datetime,
    settings: Settings,
) -> None:
    """Each decided unit's result to whom it concerns, one mail per recipient per action: an
    individual to the member; a collective to its organization and that organization's members."""
    cycle = checked.cycle
    plan = plan_of(cycle)
    directory = checked.guards.directory
    standing = cycle.launched_by_id
    collective_orgs = {u.organization_id for u in checked.units if u.kind.is_collective}
    in_org: dict[int, list[Member]] = {}
    if collective_orgs:
        for m in session.exec(
            select(Member)
            .where(col(Member.organization_id).in_(collective_orgs))
            .order_by(col(Member.code))
        ):
            in_org.setdefault(m.organization_id, []).append(m)
    # recipient email → (recipient, results by unit code), in the order first reached
    to_whom: dict[str, tuple[Recipient, dict[str, dict[str, str | None]]]] = {}

    def tell(to: Recipient | None, result: dict[str, str | None]) -> None:
        if to is not None:
            to_whom.setdefault(to.email, (to, {}))[1][str(result["unit_code"])] = result

    for unit in checked.units:
        member = members.get(unit.member_id) if unit.member_id else None
        name = member.full_name if member else directory.orgs[unit.organization_id].name
        result = _result(unit, name, reason)
        tell(resolve("unit", UnitRef.of(unit, member), directory, standing_org_id=standing), result)
        if unit.kind.is_collective:
            for m in in_org.get(unit.organization_id, []):
                if m.email:
                    ref = UnitRef(UnitKind.MEMBER, m.organization_id, m.email, m.full_name, m.id)
                    tell(resolve("unit", ref, directory, standing_org_id=standing), result)
    context = mail_context(cycle, directory.orgs[standing].name)
    mails = []
    for email, (to, results) in to_whom.items():
        digest = hashlib.sha256(",".join(sorted(results)).encode()).hexdigest()[:16]
        key = f"published:{cycle.code}:{email}:{digest}"
        if len(key) > 255:  # an address too long for the key column: its digest keys it
            key = f"published:{cycle.code}:{hashlib.sha256(email.encode()).hexdigest()}:{digest}"
        mails.append(
            Mail(
                key=key,
                kind="published",
                recipient=email,
                recipient_name=to.name,
                recipient_ref=to.ref,
                cycle_id=cycle.id,
                rendered=render(
                    "published",
                    {
                        "recipient_name": to.name,
                        "results": list(results.values()),
                        "cycle": context,
                        "approver": checked.actor.full_name,
                        "link": f"{settings.base_url}/cycles/{cycle.code}/results",
                    },
                    lang=settings.lang,
                ),
            )
        )
    queue(session, mails, now=now, sender=settings.smtp_from, quiet_until=plan.quiet_until(now))


def published_results(
    session: Session, cycle_code: str, member_code: str
) -> list[dict[str, str | None]]:
    """What a member may see once published: their own units' results (as member and as
    leader) and the results of their organization's collectives; nothing before publication."""
    cycle = get_cycle(session, cycle_code)
    member = get_member(session, member_code)
    org = session.get(Organization, member.organization_id)
    codes = [f"M:{member.code}", f"L:{member.code}"]
    if org is not None:
        codes += [f"O:{org.code}", f"T:{org.code}"]
    units = session.exec(
        select(Unit)
        .where(
            Unit.cycle_id == cycle.id,
            col(Unit.code).in_(codes),
            col(Unit.state).in_(_PUBLISHED),
            col(Unit.final_level).is_not(None),
        )
        .order_by(col(Unit.code))
    ).all()
    reasons = dict(
        session.exec(
            select(AuditEntry.unit_id, AuditEntry.reason).where(
                col(AuditEntry.unit_id).in_([u.id for u in units]),
                AuditEntry.trigger == "approve",
            )
        ).all()
    )
    org_name = org.name if org is not None else ""
    return [
        _result(u, member.full_name if u.member_id else org_name, reasons.get(u.id or 0))
        for u in units
    ]
