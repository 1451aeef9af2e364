"""Publishing decided results: the mail that tells each unit its level, and what a member may
see once results are published."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.cycle import AuditEntry, Unit, UnitKind
from models.organization import Member, Organization
from models.remediation import Shortcoming
from models.settings import Settings
from notifications import queue
from states import links
from states._mail import mail_to
from states.approval_rules import above
from states.cycles import format_day, get_cycle, get_member, mail_context, plan_of
from states.machine import UnitState
from states.recipients import Recipient, UnitRef, resolve
from states.service import Checked

__all__ = ["published_results", "queue_published_mail"]


# Where a result may be seen once it is published (the later states keep it visible).
_PUBLISHED = (UnitState.PUBLISHED.value, UnitState.REMEDIATION.value, UnitState.CLOSED.value)


def _result(unit: Unit, name: str, reason: str | None) -> dict[str, Any]:
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


def queue_published_mail(
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
    # What each unit must now remedy (just recorded by the approval), told with its result.
    to_remedy: dict[int, list[dict[str, str]]] = {}
    for item in session.exec(
        select(Shortcoming)
        .where(col(Shortcoming.unit_id).in_([u.id for u in checked.units]))
        .order_by(col(Shortcoming.id))
    ):
        due = format_day(item.due_at, plan) if item.due_at else ""
        to_remedy.setdefault(item.unit_id, []).append({"text": item.text, "due_local": due})
    # recipient email → (recipient, results by unit code), in the order first reached
    to_whom: dict[str, tuple[Recipient, dict[str, dict[str, Any]]]] = {}

    def tell(to: Recipient | None, result: dict[str, Any]) -> None:
        if to is not None:
            to_whom.setdefault(to.email, (to, {}))[1][str(result["unit_code"])] = result

    for unit in checked.units:
        member = members.get(unit.member_id) if unit.member_id else None
        name = member.full_name if member else directory.orgs[unit.organization_id].name
        result = _result(unit, name, reason) | {"shortcomings": to_remedy.get(unit.id or 0, [])}
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
            mail_to(
                to,
                kind="published",
                key=key,
                cycle_id=cycle.id,
                cycle=context,
                context={
                    "results": list(results.values()),
                    "approver": checked.actor.full_name,
                    "link": links.url(
                        settings.base_url,
                        links.one_or_tasks({links.unit_page(cycle.code, c) for c in results}),
                    ),
                },
                settings=settings,
            )
        )
    queue(session, mails, now=now, sender=settings.smtp_from, quiet_until=plan.quiet_until(now))


def published_results(
    session: Session, cycle_code: str, member_code: str, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """What a member may see once published: their own units' results (as member and as
    leader) and the results of their organization's collectives; nothing before publication
    (with `now`, the cycle clock: nothing published after it)."""
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
    approvals = session.exec(
        select(AuditEntry.unit_id, AuditEntry.reason, AuditEntry.at).where(
            col(AuditEntry.unit_id).in_([u.id for u in units]),
            AuditEntry.trigger == "approve",
        )
    ).all()
    reasons = {unit_id: reason for unit_id, reason, _at in approvals}
    if now is not None:
        published_by = {unit_id for unit_id, _reason, at in approvals if at <= now}
        units = [u for u in units if u.id in published_by]
    org_name = org.name if org is not None else ""
    return [
        _result(u, member.full_name if u.member_id else org_name, reasons.get(u.id or 0))
        for u in units
    ]
