"""The daily digest of undeliverable mail to the launching committee's office."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.cycle import Cycle, UnitKind
from models.settings import Settings
from notifications import deferred, outbox, queue
from states._mail import mail_to
from states.cycles import mail_context, plan_of
from states.directory import Directory
from states.recipients import UnitRef, resolve
from vocabulary import dates


def queue_failure_digest(
    *, session: Session, cycle: Cycle, now: datetime, settings: Settings
) -> int:
    """Queue one digest a local day listing mail refused since the last one; return 0 or 1.

    The failed rows are marked reported in the same transaction, and only if the digest was
    queued, so each failure is reported once and none is left out.
    """
    assert cycle.id is not None
    failed = [
        m
        for m in outbox.failures(session, cycle_id=cycle.id, unreported=True)
        if m.kind != "failures"
    ]
    if not failed:
        return 0
    plan = plan_of(cycle)
    directory = Directory.for_cycle(session, cycle)
    office = directory.orgs[cycle.launched_by_id]
    office_ref = UnitRef(kind=UnitKind.ORGANIZATION, organization_id=office.id)
    to = resolve("standing", office_ref, directory, standing_org_id=office.id)
    if to is None:
        return 0  # no address anywhere up the tree: `cycle status` still lists the failures
    items = [
        {
            "recipient": m.recipient,
            "recipient_name": m.recipient_name,
            "subject": deferred.subject(m),
            "error": m.last_error or "",
            "failed_local": dates.moment(m.failed_at or now, plan.zone),
        }
        for m in failed
    ]
    day = now.astimezone(plan.zone).date().isoformat()
    mail = mail_to(
        to,
        kind="failures",
        key=f"failures:{cycle.code}:{day}",
        cycle_id=cycle.id,
        cycle=mail_context(cycle, office.name),
        context={"items": items},
        settings=settings,
        urgent=True,
    )
    queued = queue(session, [mail], now=now, sender=settings.smtp_from)
    if queued:
        outbox.mark_reported(session, [m.id for m in failed if m.id is not None], at=now)
    return queued
