"""The mail that tells each member a collective's shortcoming is now theirs to remedy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from models.cycle import UnitKind
from models.organization import Member
from models.remediation import Shortcoming
from models.settings import Settings
from notifications import queue
from states import links
from states._mail import mail_to
from states.cycles import format_day, mail_context, plan_of
from states.recipients import UnitRef, resolve
from states.service import Checked


def queue_assigned_mail(
    session: Session,
    checked: Checked,
    items: Sequence[tuple[Member, Shortcoming]],
    *,
    now: datetime,
    settings: Settings,
) -> None:
    """A mail per owner and item, keyed by both, so an owner is told once whatever reruns."""
    cycle, directory, unit = checked.cycle, checked.guards.directory, checked.units[0]
    plan = plan_of(cycle)
    context = mail_context(cycle, directory.orgs[cycle.launched_by_id].name)
    mails = []
    for owner, item in items:
        ref = UnitRef(
            UnitKind.MEMBER, owner.organization_id, owner.email, owner.full_name, owner.id
        )
        to = resolve("unit", ref, directory, standing_org_id=cycle.launched_by_id)
        if to is None:
            continue
        mails.append(
            mail_to(
                to,
                kind="remediation_assigned",
                key=f"assigned:{cycle.code}:{item.id}:{owner.code}",
                cycle_id=cycle.id,
                cycle=context,
                context={
                    "unit_name": directory.orgs[unit.organization_id].name,
                    "unit_code": unit.code,
                    "shortcoming_id": item.id,
                    "text": item.text,
                    "due_local": format_day(item.due_at, plan) if item.due_at else "",
                    "assigned_by": checked.actor.full_name,
                    "link": links.url(settings.base_url, links.remediation(cycle.code)),
                },
                settings=settings,
            )
        )
    queue(session, mails, now=now, sender=settings.smtp_from, quiet_until=plan.quiet_until(now))
