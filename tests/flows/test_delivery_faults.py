"""E-mail delivery under faults: a real aiosmtpd server that refuses, stalls and hangs up,
through the real review-cycle flow on a real Prefect API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from prefect.client.schemas.objects import State
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from flows import launch_cycle, review_cycle
from kiemdiem.demo.smtp_server import Received
from models import (
    Escalation,
    MailStatus,
    OutboxMessage,
    get_engine,
    init_db,
    session_scope,
)
from models.org_import import import_organizations
from tests.factories import (
    MEMBER_HEADER,
    MEMBERS,
    ORG_HEADER,
    ORGS,
    PLAN_ISSUED_TO,
    REMINDED_ON_19_NOV,
    member,
    write_csv,
    write_district,
    write_plan,
)
from tests.faulty_smtp import DROP, FaultyRecorder, FaultySMTPServer, wait_until
from tests.flows.said import mail_said
from tests.states.helpers import launch_cycle as queue_launch
from tests.states.helpers import local

REPO = Path(__file__).resolve().parents[2]
CYCLE = "TT-2026"
LAUNCH = local("2026-11-10 08:00")
TICK = local("2026-11-19 08:00")  # the pilot G1's self-review reminders (2 days before due)
PLAN_ISSUED, REMINDED = PLAN_ISSUED_TO, REMINDED_ON_19_NOV
REJECTED = "a3@example.vn"
MAILBOX_UNAVAILABLE = "550 5.1.1 mailbox unavailable"

# The runs' final states are asserted in English words.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def wired(wired: tuple[Engine, str], monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, str]:
    """The shared set-up, with three connections so faults land mid-batch."""
    monkeypatch.setenv("KIEMDIEM_SMTP_CONCURRENCY", "3")
    return wired


def _rows(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def _statuses(engine: Engine) -> Counter[str]:
    return Counter(MailStatus(r.status).value for r in _rows(engine))


def _escalations(engine: Engine) -> list[Escalation]:
    with Session(engine) as session:
        return list(session.exec(select(Escalation)).all())


def _copies(messages: list[Received]) -> Counter[tuple[str, str]]:
    """How many times each (Message-ID, recipient) arrived."""
    return Counter((m.message_id, r) for m in messages for r in m.recipients)


def _tick(url: str, at: str) -> tuple[State[Any], dict[str, Any]]:
    state = review_cycle(CYCLE, now=at, database_url=url, return_state=True)
    assert state.is_completed(), state
    summary = state.result()
    assert isinstance(summary, dict)
    return state, summary


def _assert_each_sent_row_arrived_once(engine: Engine, messages: list[Received]) -> None:
    """What the server holds is exactly the outbox's sent rows, each once."""
    copies = _copies(messages)
    twice = {k: n for k, n in copies.items() if n > 1}
    assert not twice, f"received more than once: {twice}"
    sent = {(r.message_id, r.recipient) for r in _rows(engine) if r.status == MailStatus.SENT}
    assert set(copies) == sent


def test_a_rejected_recipient_is_failed_with_the_reason_and_the_rest_arrive(
    wired: tuple[Engine, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, url = wired
    handler = FaultyRecorder(reject={REJECTED: MAILBOX_UNAVAILABLE})
    with FaultySMTPServer(handler) as server:
        monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(server.port))
        launched = launch_cycle(str(write_plan(tmp_path)), now=LAUNCH.isoformat(), database_url=url)
        assert {k: launched["delivery"][k] for k in ("sent", "failed", "retried", "errors")} == {
            "sent": 13,
            "failed": 1,
            "retried": 0,
            "errors": [f"{MAILBOX_UNAVAILABLE} ({REJECTED})"],
        }
        assert sorted(r for m in server.messages for r in m.recipients) == sorted(
            PLAN_ISSUED - {REJECTED}
        )
        seen = len(server.messages)

        state, summary = _tick(url, TICK.isoformat())
        # Refused mail is not pending, and the run's state says it was refused.
        assert (
            mail_said(state)
            == "all mail delivered; 2 refused for good (see the mail-failures artifact)"
        )
        assert summary["delivery"]["failed"] == 1  # A3's reminder, refused like the plan mail
        assert handler.refused == [REJECTED, REJECTED]
        failed = [r for r in _rows(engine) if r.status == MailStatus.FAILED]
        assert [(r.recipient, r.kind) for r in failed] == [
            (REJECTED, "plan_issued"),
            (REJECTED, "reminder"),
        ]
        for row in failed:
            assert row.last_error is not None and "550" in row.last_error, row.last_error
            assert "mailbox unavailable" in row.last_error and row.attempts == 1
            assert row.sent_at is None and row.claim_token is None
        # Everyone else's reminder arrived once; the failures digest (if the product sends
        # one) goes to the launching office, never to the refused address.
        kinds = {r.message_id: r.kind for r in _rows(engine)}
        fresh = server.messages[seen:]
        reminders = sorted(
            r for m in fresh if kinds[m.message_id] != "failures" for r in m.recipients
        )
        assert reminders == sorted(REMINDED - {REJECTED})
        assert all(REJECTED not in m.recipients for m in server.messages)
        _assert_each_sent_row_arrived_once(engine, server.messages)
        assert _statuses(engine)["pending"] == 0 and _statuses(engine)["sending"] == 0
        after_first = (len(server.messages), [(r.id, r.status, r.attempts) for r in failed])

        # A later tick neither retries the refused mail nor sends anything again.
        state, summary = _tick(url, (TICK + timedelta(hours=1)).isoformat())
        assert (
            mail_said(state)
            == "all mail delivered; 2 refused for good (see the mail-failures artifact)"
        )
        assert summary["delivery"]["sent"] == summary["delivery"]["failed"] == 0
        failed_again = [r for r in _rows(engine) if r.status == MailStatus.FAILED]
        assert (len(server.messages), [(r.id, r.status, r.attempts) for r in failed_again]) == (
            after_first
        )
        assert handler.refused == [REJECTED, REJECTED]


def test_421_and_dropped_connections_are_retried_and_all_arrive_once(
    wired: tuple[Engine, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, url = wired
    handler = FaultyRecorder()
    with FaultySMTPServer(handler) as server:
        monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(server.port))
        # Launch: the third message is answered 421, the rest of the batch waits.
        handler.inject(3, "421 4.3.0 try again later")
        launched = launch_cycle(str(write_plan(tmp_path)), now=LAUNCH.isoformat(), database_url=url)
        assert handler.injected == [(3, "421 4.3.0 try again later")]
        delivery = launched["delivery"]
        assert delivery["failed"] == 0 and delivery["retried"] >= 1
        assert delivery["sent"] + delivery["retried"] == 14
        assert delivery["errors"] == ["421 4.3.0 try again later"]
        waiting = [r for r in _rows(engine) if r.status == MailStatus.PENDING]
        assert len(waiting) == delivery["retried"]
        for row in waiting:
            assert row.attempts == 1 and row.last_error == "421 4.3.0 try again later"
            assert LAUNCH < row.next_attempt_at <= LAUNCH + timedelta(hours=1)

        # The tick: the launch's leftovers and the reminders; the server hangs up on the
        # third message, after it was sent whole.
        handler.inject(3, DROP)
        dropped_at = handler.data_commands + 3
        state, summary = _tick(url, TICK.isoformat())
        assert handler.injected[-1] == (dropped_at, DROP)
        assert state.message.startswith("mail pending"), state.message
        pending = [r for r in _rows(engine) if r.status == MailStatus.PENDING]
        assert mail_said(state) == f"mail pending: {len(pending)}" and pending
        assert summary["delivery"]["retried"] == len(pending)
        for row in pending:
            assert row.last_error is not None and "Disconnected" in row.last_error, row.last_error
            assert TICK < row.next_attempt_at <= TICK + timedelta(hours=1)

        # Rerun at the same instant: the retries wait on the cycle's clock, nothing goes out.
        received = len(server.messages)
        state, _ = _tick(url, TICK.isoformat())
        assert mail_said(state) == f"mail pending: {len(pending)}"
        assert len(server.messages) == received

        # An hour later on the cycle's clock the rest goes, and nothing goes twice.
        state, _ = _tick(url, (TICK + timedelta(hours=1)).isoformat())
        assert mail_said(state) == "all mail delivered"
        assert handler.data_commands == len(server.messages) + 2  # the 421 and the drop
    copies = _copies(server.messages)
    assert Counter(r for _, r in copies) == Counter(PLAN_ISSUED) + Counter(REMINDED)
    _assert_each_sent_row_arrived_once(engine, server.messages)
    assert _statuses(engine) == Counter({"sent": 19})


@pytest.fixture
def postgres_district(postgres_url: str, tmp_path: Path) -> Engine:
    engine = get_engine(postgres_url)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    return engine


def _two_ticks_at_once(url: str, at: str) -> list[State[Any]]:
    """Two ticks of the cycle for the same instant, in two threads, let in at one moment.

    Threads alone do not make them overlap: the harness's Prefect API (on SQLite) answers a
    flow run created beside another with a retryable error, and the client backs off for
    seconds. So a lock on the tick table stops both at their first write (begin_tick) until
    both are waiting there; then both go on together.
    """
    start = threading.Barrier(2)
    states: list[State[Any]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=30)
            states.append(review_cycle(CYCLE, now=at, database_url=url, return_state=True))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    with psycopg.connect(url) as gate, psycopg.connect(url, autocommit=True) as watch:
        gate.execute("LOCK TABLE tick IN ACCESS EXCLUSIVE MODE")

        def waiting() -> int:
            row = watch.execute(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " WHERE c.relname = 'tick' AND NOT l.granted"
            ).fetchone()
            return int(row[0]) if row else 0

        for t in threads:
            t.start()
        wait_until(
            lambda: waiting() == 2 or not all(t.is_alive() for t in threads),
            timeout=60,
            what="both ticks to wait at the tick table",
        )
        assert waiting() == 2, errors
        gate.rollback()  # both ticks go on from here, at once
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a tick did not finish in 120 s"
    assert not errors, errors
    assert len(states) == 2 and all(s.is_completed() for s in states), states
    return states


def test_two_ticks_at_once_on_postgres_send_nothing_twice(
    prefect_api: None,
    postgres_district: Engine,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, url = postgres_district, postgres_url
    monkeypatch.setenv("KIEMDIEM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KIEMDIEM_SMTP_FROM", "kiemdiem@d.example.vn")
    with FaultySMTPServer() as server:
        monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(server.port))
        launch_cycle(str(write_plan(tmp_path)), now=LAUNCH.isoformat(), database_url=url)
        assert len(server.messages) == 14
        for at in (TICK, local("2026-11-22 08:00")):
            seen, steps_before = len(server.messages), len(_escalations(engine))
            states = _two_ticks_at_once(url, at.isoformat())
            # A tick whose status saw the other one's claimed rows says they are being sent by
            # another run, not that mail is pending; once both have ended nothing is.
            assert _statuses(engine)["pending"] == _statuses(engine)["sending"] == 0
            assert all(
                mail_said(s) == "all mail delivered"
                or s.message.startswith("being sent by another run: ")
                for s in states
            ), [s.message for s in states]
            fresh = server.messages[seen:]
            recipients = [r for m in fresh for r in m.recipients]
            assert len(recipients) == len(set(recipients)), f"one got two mails: {recipients}"
            # Between them the two ticks recorded each step once, queued and sent each mail once.
            summaries = [s.result() for s in states]
            steps = len(_escalations(engine)) - steps_before
            assert sum(x["escalated"]["steps"] for x in summaries) == steps > 0
            assert sum(x["escalated"]["digests"] for x in summaries) == len(fresh)
            assert sum(x["delivery"]["sent"] for x in summaries) == len(fresh)
            if at == TICK:
                assert set(recipients) == REMINDED
            else:
                assert recipients, "the day-after-due tick sent nothing"
        ids = [m.message_id for m in server.messages]
        assert len(ids) == len(set(ids)), "a Message-ID arrived twice"
        _assert_each_sent_row_arrived_once(engine, server.messages)
    steps = Counter((e.unit_id, e.stage, e.step) for e in _escalations(engine))
    assert steps and max(steps.values()) == 1, steps
    assert {step for _, _, step in steps} == {0, 1}  # the reminder, then the day-late step


CONCURRENCY = 4
# Marks of accepted mail not yet committed at the kill: what the connections had answered in
# the marker's last 10 ms gather (smtp.MARK_EVERY) and its commit. Since each message is
# flattened once per shape, 4 connections to a local server answer about 1,300 a second:
# up to about 15 in that window (16 resent in one CI run with a margin of 8).
GROUP_COMMIT_MARGIN = 16
HOLD_AFTER = 120  # messages acknowledged before the server holds back its replies
TICK_SCRIPT = """
import sys
from flows import review_cycle
state = review_cycle(sys.argv[1], now=sys.argv[2], database_url=sys.argv[3], return_state=True)
print("tick ended:", state.message)
"""


def test_kill_9_mid_delivery_then_rerun_loses_nothing(
    prefect_api: None, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.settings import PREFECT_API_URL

    url = sqlite_url
    engine = get_engine(url)
    init_db(engine)
    # 300 more members in G2's cell C2 (not a pilot): a plan-issued mail each, no reminders.
    members = MEMBERS + [member(f"X{i:03d}", "C2") for i in range(300)]
    orgs_csv = write_csv(tmp_path / "organizations.csv", ORG_HEADER, ORGS)
    members_csv = write_csv(tmp_path / "members.csv", MEMBER_HEADER, members)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    monkeypatch.setenv("KIEMDIEM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KIEMDIEM_SMTP_FROM", "kiemdiem@d.example.vn")
    monkeypatch.setenv("KIEMDIEM_SMTP_CONCURRENCY", str(CONCURRENCY))
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", url)
    queue_launch(engine, tmp_path, LAUNCH)  # queued, not delivered: 300+ mails pending
    assert _statuses(engine) == Counter({"pending": 314})
    pairs = [(r.recipient, r.subject) for r in _rows(engine)]
    assert len(pairs) == len(set(pairs))  # so (recipient, subject) names one outbox row

    handler = FaultyRecorder()
    handler.hold_after(HOLD_AFTER)
    with FaultySMTPServer(handler) as server:
        monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(server.port))
        env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
        log = tmp_path / "killed-tick.log"
        with log.open("wb") as out:
            tick = subprocess.Popen(
                [sys.executable, "-c", TICK_SCRIPT, CYCLE, TICK.isoformat(), url],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                # Every connection has sent one more message and waits for its answer.
                wait_until(
                    lambda: handler.held == CONCURRENCY or tick.poll() is not None,
                    timeout=90,
                    what=f"{CONCURRENCY} deliveries waiting on the server",
                )
                assert tick.poll() is None, log.read_text(errors="replace")
                os.kill(tick.pid, signal.SIGKILL)
            finally:
                if tick.poll() is None:
                    tick.kill()
                tick.wait(timeout=30)
        assert tick.returncode == -signal.SIGKILL
        # The last message on each connection reached the server, the 250 never the client.
        received_at_kill = len(server.messages)
        assert received_at_kill == HOLD_AFTER + CONCURRENCY
        handler.release()
        wait_until(lambda: handler.held == 0, timeout=10, what="held replies to be let go")
        left = _statuses(engine)
        print(f"after kill -9: server has {received_at_kill} messages; outbox {dict(left)}")
        assert left["sending"] > 0, "the kill did not land while rows were claimed"
        unmarked = received_at_kill - left["sent"]

        state, _ = _tick(url, TICK.isoformat())
        after = _statuses(engine)
        assert after["sending"] == 0, (
            f"the rerun left {after['sending']} rows in 'sending' claimed by the killed "
            f"process (pid {tick.pid}): they are never sent until the claim lease runs out"
        )
        assert mail_said(state) == "all mail delivered"
        assert after == Counter({"sent": 314 + 5})

    copies = _copies(server.messages)
    assert set(copies) == {(r.message_id, r.recipient) for r in _rows(engine)}
    duplicates = sum(n - 1 for n in copies.values())
    print(f"duplicates after kill -9 and rerun: {duplicates} (unmarked at kill: {unmarked})")
    assert duplicates == unmarked  # exactly what reached the server but was not marked sent
    assert duplicates <= CONCURRENCY + GROUP_COMMIT_MARGIN
    # A resend is recognisably the same mail: one Message-ID per (recipient, subject).
    ids: dict[tuple[tuple[str, ...], str], set[str]] = {}
    for m in server.messages:
        ids.setdefault((m.recipients, m.subject), set()).add(m.message_id)
    assert all(len(v) == 1 for v in ids.values())
    assert len(server.messages) == 314 + 5 + duplicates
