"""Queue, claim and mark outbox rows; every call runs inside the caller's transaction."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from models._sql import chunks, insert_ignoring_duplicates
from models.outbox import MailStatus, OutboxMessage
from notifications.message import message_id
from notifications.render import Rendered

# A claim older than this (real time) belongs to a deliverer that died; its rows go back.
CLAIM_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=3)
LAST_RETRY = timedelta(hours=1)


@dataclass(frozen=True)
class Mail:
    """A mail to queue: its idempotency key decides whether it is new."""

    key: str
    kind: str
    recipient: str
    recipient_name: str
    rendered: Rendered
    cycle_id: int | None = None


def queue(session: Session, mails: Sequence[Mail], *, now: datetime, sender: str) -> int:
    """Insert the mails whose keys are new; return how many were queued."""
    rows = [
        {
            "key": m.key,
            "cycle_id": m.cycle_id,
            "kind": m.kind,
            "recipient": m.recipient,
            "recipient_name": m.recipient_name,
            "subject": m.rendered.subject,
            "body_text": m.rendered.text,
            "body_html": m.rendered.html,
            "message_id": message_id(m.key, sender),
            "status": MailStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in mails
    ]
    queued = 0
    for chunk in chunks(rows, 1000):
        statement = insert_ignoring_duplicates(session, OutboxMessage).returning(
            col(OutboxMessage.id)
        )
        queued += len(session.execute(statement, chunk).all())
    return queued


def release_stale_claims(session: Session, *, real_now: datetime) -> int:
    """Put back rows claimed by a deliverer that stopped before marking them."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == MailStatus.SENDING,
            col(OutboxMessage.claimed_at) < real_now - CLAIM_LEASE,
        )
        .values(status=MailStatus.PENDING, claim_token=None)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def claim(
    session: Session, *, limit: int, now: datetime, real_now: datetime, token: str
) -> list[OutboxMessage]:
    """Take up to `limit` due rows for this deliverer; no other deliverer gets the same rows."""
    due = (
        select(OutboxMessage.id)
        .where(
            col(OutboxMessage.status) == MailStatus.PENDING,
            col(OutboxMessage.next_attempt_at) <= now,
        )
        .order_by(col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # One statement: on SQLite it runs under the single write lock, on PostgreSQL the
    # SKIP LOCKED subquery passes over rows another deliverer is claiming at this moment.
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(due.scalar_subquery()))
        .values(status=MailStatus.SENDING, claim_token=token, claimed_at=real_now)
        .execution_options(synchronize_session=False)
    )
    claimed = select(OutboxMessage).where(col(OutboxMessage.claim_token) == token)
    return list(session.exec(claimed.order_by(col(OutboxMessage.id))).all())


def mark_sent(session: Session, ids: Sequence[int], *, at: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids))
        .values(status=MailStatus.SENT, sent_at=at, claim_token=None, last_error=None)
    )


def mark_failed(session: Session, message_ids: Sequence[int], *, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(message_ids))
        .values(
            status=MailStatus.FAILED,
            last_error=error[:1000],
            claim_token=None,
            attempts=OutboxMessage.attempts + 1,
        )
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential from a few minutes, capped at an hour, with jitter so retries spread out."""
    base = min(FIRST_RETRY * (1 << min(attempts, 10)), LAST_RETRY)
    return base * random.uniform(0.5, 1.0)


def mark_retry(
    session: Session, rows: Sequence[OutboxMessage], *, error: str, now: datetime
) -> None:
    for row in rows:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == row.id)
            .values(
                status=MailStatus.PENDING,
                last_error=error[:1000],
                claim_token=None,
                attempts=row.attempts + 1,
                next_attempt_at=now + retry_delay(row.attempts),
            )
        )


def counts(session: Session, *, cycle_id: int | None = None) -> dict[str, int]:
    """Mails by status (sending counts as pending: not yet known to be received)."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if cycle_id is not None:
        query = query.where(OutboxMessage.cycle_id == cycle_id)
    out = {"sent": 0, "pending": 0, "failed": 0}
    for status, n in session.exec(query):
        status = MailStatus(status)
        name = "pending" if status in (MailStatus.PENDING, MailStatus.SENDING) else status.value
        out[name] += n
    return out
