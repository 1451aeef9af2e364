"""Queue, claim and mark outbox rows; every call runs inside the caller's transaction."""

from __future__ import annotations

import os
import random
import socket
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from models._sql import driver_executemany, insert_ignoring_duplicates
from models.outbox import MailStatus, OutboxMessage
from notifications.message import message_id

if TYPE_CHECKING:  # a field's annotation only: reading the outbox needs no Jinja2
    from notifications.render import Rendered

# A claim older than this (real time) belongs to a deliverer that died; its rows go back.
CLAIM_LEASE = timedelta(minutes=5)
FIRST_RETRY = timedelta(minutes=3)
LAST_RETRY = timedelta(hours=1)


class Mail(NamedTuple):
    """A mail to queue: its idempotency key decides whether it is new. (A named tuple: a
    province's tick makes tens of thousands, and a frozen dataclass costs microseconds.)"""

    key: str
    kind: str
    recipient: str
    recipient_name: str
    # Rendered now, or `payload` (notifications.deferred) to render at delivery.
    rendered: Rendered | None
    cycle_id: int | None = None
    # Urgent mail goes out during quiet hours too; the rest waits for them to end.
    urgent: bool = False
    recipient_ref: str | None = None
    payload: str | None = None


def queue(
    session: Session,
    mails: Iterable[Mail],
    *,
    now: datetime,
    sender: str,
    quiet_until: datetime | None = None,
) -> int:
    """Insert the mails whose keys are new; return how many were queued.

    `quiet_until`: the end of the quiet hours `now` falls in, if it does; non-urgent mail is
    held until then. `mails` is read a thousand at a time: a generator of them is never
    held whole.
    """
    connection = session.connection()
    # The table, not the class: a Core insert skips the ORM's bulk path and its per-row cost.
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    statement = insert_ignoring_duplicates(session, table)
    dialect = connection.dialect
    rows = (
        (
            m.key,
            m.cycle_id,
            m.kind,
            m.recipient,
            m.recipient_name,
            m.recipient_ref,
            m.rendered.subject if m.rendered else "",
            m.rendered.text if m.rendered else "",
            m.rendered.html if m.rendered else "",
            message_id(m.key, sender),
            MailStatus.PENDING,
            0,
            quiet_until if quiet_until and not m.urgent else now,
            now,
            m.payload,
        )
        for m in mails
    )
    if dialect.name == "sqlite":
        # SQLAlchemy's per-row binding was most of queueing a province's mail.
        return driver_executemany(connection, statement, _COLUMNS, rows)
    queued = 0
    returning = statement.returning(table.c.id)
    while chunk := list(islice(rows, 1000)):
        named = [dict(zip(_COLUMNS, row, strict=True)) for row in chunk]
        queued += len(connection.execute(returning, named).all())
    return queued


# The columns `queue` writes, in the order of its rows' values: the table's order, which is
# the order a compiled INSERT binds them in.
_COLUMNS = (
    "key",
    "cycle_id",
    "kind",
    "recipient",
    "recipient_name",
    "recipient_ref",
    "subject",
    "body_text",
    "body_html",
    "message_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "payload",
)


def new_claim_token() -> str:
    """host:pid:random; the host and pid let a deliverer on the same machine see a dead one."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _claimant_is_dead(token: str) -> bool:
    host, _, rest = token.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's claim: only its lease can expire it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def release_stale_claims(session: Session, *, real_now: datetime) -> int:
    """Put back rows claimed by a deliverer that stopped before marking them.

    A claim by a process of this machine that no longer exists goes back at once (a killed
    tick rerun straight away resends it); any other claim only when its lease has run out.
    """
    tokens = session.exec(
        select(OutboxMessage.claim_token)
        .where(col(OutboxMessage.status) == MailStatus.SENDING)
        .distinct()
    ).all()
    dead = [t for t in tokens if t is not None and _claimant_is_dead(t)]
    result = session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.status) == MailStatus.SENDING,
            or_(
                col(OutboxMessage.claimed_at) < real_now - CLAIM_LEASE,
                col(OutboxMessage.claim_token).in_(dead),
            ),
        )
        .values(status=MailStatus.PENDING, claim_token=None)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def take(session: Session, *, limit: int, now: datetime, real_now: datetime, token: str) -> int:
    """Mark up to `limit` due rows as this deliverer's (`token`); how many. The one write of a
    claim: commit it before reading the rows (`claimed`), so SQLite's write lock is held for
    this statement only, not while the bodies are read into objects."""
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
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(due.scalar_subquery()))
        .values(status=MailStatus.SENDING, claim_token=token, claimed_at=real_now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


def claimed(session: Session, token: str) -> list[OutboxMessage]:
    """The rows `take` gave this deliverer, oldest first."""
    # By status too: claim_token has no index, and the status index (ix_outbox_status_next)
    # holds the few rows being sent; by the token alone each batch read the whole outbox
    # (a launch's 315,619 rows, 1 GB: 0.2-0.6 s of CPU a batch). A claimed row stays SENDING
    # until a mark clears its token.
    rows = select(OutboxMessage).where(
        col(OutboxMessage.status) == MailStatus.SENDING, col(OutboxMessage.claim_token) == token
    )
    return list(session.exec(rows.order_by(col(OutboxMessage.id))).all())


def claim(
    session: Session, *, limit: int, now: datetime, real_now: datetime, token: str
) -> list[OutboxMessage]:
    """Take up to `limit` due rows for this deliverer; no other deliverer gets the same rows."""
    take(session, limit=limit, now=now, real_now=real_now, token=token)
    return claimed(session, token)


def mark_sent(session: Session, ids: Sequence[int], *, at: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(ids))
        .values(status=MailStatus.SENT, sent_at=at, claim_token=None, last_error=None)
    )


def mark_failed(session: Session, message_ids: Sequence[int], *, error: str, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(message_ids))
        .values(
            status=MailStatus.FAILED,
            failed_at=now,
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
    """Mails by status. `pending` is everything not yet known to be received, including the
    `sending` rows some deliverer holds right now, which are also counted on their own."""
    query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    if cycle_id is not None:
        query = query.where(OutboxMessage.cycle_id == cycle_id)
    out = {"sent": 0, "pending": 0, "failed": 0, "sending": 0}
    for status, n in session.exec(query):
        status = MailStatus(status)
        if status is MailStatus.SENDING:
            out["sending"] += n
        name = "pending" if status in (MailStatus.PENDING, MailStatus.SENDING) else status.value
        out[name] += n
    return out


def failures(
    session: Session, *, cycle_id: int, unreported: bool = False, limit: int = 200
) -> list[OutboxMessage]:
    """Mail the server refused for good, newest first; `unreported`: not yet in a digest."""
    query = select(OutboxMessage).where(
        OutboxMessage.cycle_id == cycle_id, OutboxMessage.status == MailStatus.FAILED
    )
    if unreported:
        query = query.where(col(OutboxMessage.reported_at).is_(None))
    return list(session.exec(query.order_by(col(OutboxMessage.id).desc()).limit(limit)).all())


def mark_reported(session: Session, ids: Sequence[int], *, at: datetime) -> None:
    session.execute(
        update(OutboxMessage).where(col(OutboxMessage.id).in_(ids)).values(reported_at=at)
    )


def retrying(session: Session, *, cycle_id: int) -> list[dict[str, object]]:
    """Pending mail that has already failed at least once, grouped by the last error."""
    query = (
        select(OutboxMessage.last_error, func.count(), func.min(OutboxMessage.next_attempt_at))
        .where(
            OutboxMessage.cycle_id == cycle_id,
            col(OutboxMessage.status).in_([MailStatus.PENDING, MailStatus.SENDING]),
            OutboxMessage.attempts > 0,
        )
        .group_by(col(OutboxMessage.last_error))
    )
    return [
        {"error": error, "messages": n, "next_attempt_at": at.isoformat() if at else None}
        for error, n, at in session.exec(query)
    ]
