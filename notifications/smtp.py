"""Deliver the outbox with aiosmtplib: a few reused connections, each row marked as it goes."""

from __future__ import annotations

import asyncio
import concurrent.futures
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
from notifications import deferred, outbox
from notifications.message import build_mime, flatten

CLAIM_BATCH = 200
# How long accepted ids gather before one transaction marks them: SQLite has one writer, and
# a mark after every message kept the next batch's claim waiting on the lock. Longer would
# mean more resent (same Message-ID) after a kill -9; the kill test bounds that.
MARK_EVERY = 0.01


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
        client = self.client
        message = build_mime(
            sender=s.smtp_from,
            recipient=row.recipient,
            recipient_name=row.recipient_name,
            subject=row.subject,
            text=text,
            html=html,
            msg_id=row.message_id,
        )
        # What send_message does (its options, its flattening), with the message flattened
        # by `flatten`: the same bytes for a good deal less Python per message.
        if client.is_ehlo_or_helo_needed:
            try:
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                if not client.is_connected:
                    raise
                await client.helo()
        options = []
        if not (s.smtp_from + row.recipient).isascii():
            if not client.supports_extension("smtputf8"):
                raise aiosmtplib.SMTPNotSupported(
                    "An address containing non-ASCII characters was provided, but "
                    "SMTPUTF8 is not supported by this server"
                )
            options.append("SMTPUTF8")
        eight_bit = client.supports_extension("8BITMIME")
        if eight_bit:
            options.append("BODY=8BITMIME")
        flat = flatten(message, cte_type="8bit" if eight_bit else "7bit")
        await client.sendmail(s.smtp_from, [row.recipient], flat, mail_options=options)

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
            await asyncio.sleep(MARK_EVERY)  # fewer, larger write transactions
            while not self.ids.empty():
                batch.append(self.ids.get_nowait())
            done = None in batch
            ids = [i for i in batch if i is not None]
            if ids:
                # Here, not in a thread: a thread's transaction would wait for the GIL at each
                # of its statements while this loop builds and sends mail, holding SQLite's
                # write lock the while (20-60 ms a mark); here it holds it a few ms.
                self._mark(ids)


class _Stop:
    """Set by the first connection the server will not take mail on: nothing more is claimed,
    and what is claimed but unsent waits for a later tick."""

    def __init__(self) -> None:
        self.error: str | None = None


async def _worker(
    queue: asyncio.Queue[tuple[OutboxMessage, tuple[str, str] | None] | None],
    engine: Engine,
    settings: Settings,
    now: datetime,
    report: DeliveryReport,
    marker: _Marker,
    stop: _Stop,
) -> None:
    connection = _Connection(settings)
    try:
        while (item := await queue.get()) is not None:
            row, body = item
            try:
                await connection.send(row, body)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await connection.drop()
                error = _describe(exc)
                report.note(error)
                if _permanent(exc):
                    await asyncio.to_thread(_mark_failed, engine, [row], error, now)
                    report.failed += 1
                    continue
                # The server is unreachable or busy: the rest waits for a later tick too.
                stop.error = stop.error or error
                rest = [row] + _drain(queue)
                await asyncio.to_thread(_mark_retry, engine, rest, error, now)
                report.retried += len(rest)
                return
            marker.ids.put_nowait(row.id)
            report.sent += 1
    finally:
        await connection.quit()


def _drain(
    queue: asyncio.Queue[tuple[OutboxMessage, tuple[str, str] | None] | None],
) -> list[OutboxMessage]:
    """Take the rows out of the queue, leaving its ends (None) for the other connections."""
    rows, ends = [], 0
    while not queue.empty():
        item = queue.get_nowait()
        if item is None:
            ends += 1
        else:
            rows.append(item[0])
    for _ in range(ends):
        queue.put_nowait(None)
    return rows


def _mark_failed(engine: Engine, rows: Sequence[OutboxMessage], error: str, now: datetime) -> None:
    with session_scope(engine) as session:
        outbox.mark_failed(session, [r.id for r in rows if r.id], error=error, now=now)


def _mark_retry(engine: Engine, rows: Sequence[OutboxMessage], error: str, now: datetime) -> None:
    with session_scope(engine) as session:
        outbox.mark_retry(session, rows, error=error, now=now)


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
    stop = _Stop()
    connections = max(1, settings.smtp_concurrency)
    # One batch waits in the queue while the one before it is sent: the connections never
    # stand idle while the next batch is claimed, readdressed and signed (in a thread).
    queue: asyncio.Queue[tuple[OutboxMessage, tuple[str, str] | None] | None] = asyncio.Queue()

    def take(token: str) -> int:
        # The claim's one write, committed at once and in the loop's thread (see _Marker.run);
        # the rows are read after it, in a thread and outside the write lock, which the
        # pages' writes may be waiting for (bench/tick_locks.py).
        with session_scope(engine) as session:
            return outbox.take(session, limit=CLAIM_BATCH, now=now, real_now=utcnow(), token=token)

    def next_batch(token: str) -> list[tuple[OutboxMessage, tuple[str, str] | None]]:
        with session_scope(engine) as session:
            rows = outbox.claimed(session, token)
            lost = readdress(session, rows) if readdress is not None else []
            if lost:
                outbox.mark_failed(session, [r.id for r in lost if r.id], error=NO_ADDRESS, now=now)
        report.failed += len(lost)
        rows = [r for r in rows if r not in lost]
        # Mail queued as data is rendered now, before its links are signed.
        deferred.fill([r for r in rows if r.payload is not None])
        bodies: dict[int, tuple[str, str]] = {}
        if personalize is not None and rows:
            with session_scope(engine) as session:
                bodies = personalize(session, rows)
        return [(row, bodies.get(row.id or 0)) for row in rows]

    async def produce() -> None:
        try:
            while stop.error is None:
                while queue.qsize() >= CLAIM_BATCH and stop.error is None:
                    await asyncio.sleep(0.01)  # a batch waits already: no more claimed yet
                if stop.error is not None:
                    break
                token = outbox.new_claim_token()
                if not take(token):
                    break
                batch = await asyncio.to_thread(next_batch, token)
                if not batch:
                    continue  # every row claimed had no address left: marked failed
                for n, item in enumerate(batch):
                    if stop.error is not None:  # claimed after the server stopped taking mail
                        rest = [row for row, _ in batch[n:]]
                        await asyncio.to_thread(_mark_retry, engine, rest, stop.error, now)
                        report.retried += len(rest)
                        break
                    queue.put_nowait(item)
        finally:
            for _ in range(connections):
                queue.put_nowait(None)

    try:
        await asyncio.gather(
            produce(),
            *(
                _worker(queue, engine, settings, now, report, marker, stop)
                for _ in range(connections)
            ),
        )
        left = _drain(queue)
        if left:  # put in the queue after the last connection stopped
            await asyncio.to_thread(_mark_retry, engine, left, stop.error or "stopped", now)
            report.retried += len(left)
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

    def run() -> DeliveryReport:
        return asyncio.run(
            deliver_async(engine, settings, now=now, readdress=readdress, personalize=personalize)
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    # Called from a thread whose event loop is already running (a caller inside async code,
    # or Playwright's sync API in the same thread): asyncio.run would refuse, so the delivery
    # gets a thread, and a loop, of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
