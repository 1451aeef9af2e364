"""Deliver the outbox with aiosmtplib: a few reused connections, each row marked as it goes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import aiosmtplib
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models._types import utcnow
from models.db import session_scope
from models.outbox import OutboxMessage
from models.settings import Settings
from notifications import outbox
from notifications.message import build_mime

CLAIM_BATCH = 200


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    errors: list[str] = field(default_factory=list)

    def note(self, error: str) -> None:
        if error not in self.errors and len(self.errors) < 20:
            self.errors.append(error)


class _Connection:
    """One SMTP connection, opened on first use and reopened after any error."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: aiosmtplib.SMTP | None = None

    async def send(self, row: OutboxMessage, body: tuple[str, str] | None = None) -> None:
        s = self.settings
        text, html = body or (row.body_text, row.body_html)
        if self.client is None or not self.client.is_connected:
            self.client = aiosmtplib.SMTP(
                hostname=s.smtp_host,
                port=s.smtp_port,
                timeout=s.smtp_timeout,
                start_tls=s.smtp_starttls,
                use_tls=False,
            )
            await self.client.connect()
            if s.smtp_username and s.smtp_password:
                await self.client.login(s.smtp_username, s.smtp_password)
        message = build_mime(
            sender=s.smtp_from,
            recipient=row.recipient,
            recipient_name=row.recipient_name,
            subject=row.subject,
            text=text,
            html=html,
            msg_id=row.message_id,
        )
        await self.client.send_message(message, sender=s.smtp_from, recipients=[row.recipient])

    async def drop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    async def quit(self) -> None:
        if self.client is not None and self.client.is_connected:
            try:
                await self.client.quit()
            except aiosmtplib.SMTPException:
                self.client.close()
        self.client = None


def _permanent(exc: Exception) -> bool:
    """5xx for this recipient or this message: retrying would get the same answer.

    A 5xx for the sender, the login or the connection says the server or our settings are
    wrong, not the mail: those are retried (and shown) until an operator fixes them, instead
    of failing every queued message for good.
    """
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPDataError) and exc.code >= 500


def _describe(exc: Exception) -> str:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.code} {r.message} ({r.recipient})" for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return f"{type(exc).__name__}: {exc}"


class _Marker:
    """Marks accepted messages sent as soon as the database can take them (group commit).

    Workers hand over each accepted id at once; one task writes whatever has gathered in a
    single transaction, in a thread so sending goes on meanwhile. A crash loses at most the
    marks of that one small group: those mails are resent with their same Message-ID.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ids: asyncio.Queue[int | None] = asyncio.Queue()

    def _mark(self, ids: list[int]) -> None:
        with session_scope(self.engine) as session:
            outbox.mark_sent(session, ids, at=utcnow())

    async def run(self) -> None:
        done = False
        while not done:
            batch = [await self.ids.get()]
            while not self.ids.empty():
                batch.append(self.ids.get_nowait())
            done = None in batch
            ids = [i for i in batch if i is not None]
            if ids:
                await asyncio.to_thread(self._mark, ids)


async def _worker(
    queue: asyncio.Queue[OutboxMessage],
    engine: Engine,
    settings: Settings,
    now: datetime,
    report: DeliveryReport,
    marker: _Marker,
    bodies: dict[int, tuple[str, str]],
) -> None:
    connection = _Connection(settings)
    try:
        while not queue.empty():
            row = queue.get_nowait()
            try:
                await connection.send(row, bodies.get(row.id or 0))
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await connection.drop()
                error = _describe(exc)
                report.note(error)
                with session_scope(engine) as session:
                    if _permanent(exc):
                        outbox.mark_failed(session, [row.id], error=error, now=now)  # type: ignore[list-item]
                        report.failed += 1
                        continue
                    # The server is unreachable or busy: the rest of this batch waits too.
                    rest = [row] + [queue.get_nowait() for _ in range(queue.qsize())]
                    outbox.mark_retry(session, rest, error=error, now=now)
                    report.retried += len(rest)
                return
            marker.ids.put_nowait(row.id)
            report.sent += 1
    finally:
        await connection.quit()


# Finds each claimed row's address again just before sending; returns the rows that have none.
Readdress = Callable[[Session, Sequence[OutboxMessage]], list[OutboxMessage]]
# Gives claimed rows the text and HTML to send in place of the stored ones (sign-in links
# signed at delivery, so the outbox never stores a live token): row id -> (text, html).
Personalize = Callable[[Session, Sequence[OutboxMessage]], dict[int, tuple[str, str]]]
NO_ADDRESS = "no address for this recipient anywhere up the organization tree"


async def deliver_async(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    readdress: Readdress | None = None,
    personalize: Personalize | None = None,
) -> DeliveryReport:
    """Send every due outbox row once; what cannot be sent now is left for a later tick."""
    report = DeliveryReport()
    with session_scope(engine) as session:
        outbox.release_stale_claims(session, real_now=utcnow())
    marker = _Marker(engine)
    marking = asyncio.create_task(marker.run())
    try:
        while True:
            with session_scope(engine) as session:
                rows = outbox.claim(
                    session,
                    limit=CLAIM_BATCH,
                    now=now,
                    real_now=utcnow(),
                    token=outbox.new_claim_token(),
                )
            if not rows:
                break
            if readdress is not None:
                with session_scope(engine) as session:
                    lost = readdress(session, rows)
                    outbox.mark_failed(
                        session, [r.id for r in lost if r.id], error=NO_ADDRESS, now=now
                    )
                report.failed += len(lost)
                rows = [r for r in rows if r not in lost]
            bodies: dict[int, tuple[str, str]] = {}
            if personalize is not None and rows:
                with session_scope(engine) as session:
                    bodies = personalize(session, rows)
            queue: asyncio.Queue[OutboxMessage] = asyncio.Queue()
            for row in rows:
                queue.put_nowait(row)
            workers = max(1, min(settings.smtp_concurrency, len(rows)))
            await asyncio.gather(
                *(
                    _worker(queue, engine, settings, now, report, marker, bodies)
                    for _ in range(workers)
                )
            )
            if report.retried:
                break  # the server is not taking mail now; the next tick tries again
    finally:
        marker.ids.put_nowait(None)
        await marking
    return report


def deliver(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    readdress: Readdress | None = None,
    personalize: Personalize | None = None,
) -> DeliveryReport:
    """Synchronous entry point for flows and the CLI."""
    return asyncio.run(
        deliver_async(engine, settings, now=now, readdress=readdress, personalize=personalize)
    )
