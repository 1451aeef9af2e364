"""The outbox: keys queue once, claims never overlap, dead deliverers' claims come back."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import MailStatus, OutboxMessage, load_settings, session_scope
from notifications import Mail, Rendered, outbox, queue
from notifications.smtp import deliver

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _queue(engine: Engine, keys: list[str]) -> int:
    mails = [
        Mail(
            key=k,
            kind="reminder",
            recipient=f"{k}@example.vn",
            recipient_name=k,
            rendered=Rendered("Chủ đề", "nội dung", "<p>nội dung</p>"),
        )
        for k in keys
    ]
    with session_scope(engine) as session:
        return queue(session, mails, now=NOW, sender="kd@example.vn")


def test_a_key_is_queued_once(engine: Engine) -> None:
    assert _queue(engine, ["a", "b"]) == 2
    assert _queue(engine, ["b", "c"]) == 1
    with Session(engine) as session:
        assert sorted(session.exec(select(OutboxMessage.key)).all()) == ["a", "b", "c"]


def test_claims_never_overlap_and_wait_for_their_time(engine: Engine) -> None:
    _queue(engine, [f"m{i}" for i in range(5)])
    with session_scope(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.key) == "m4")
            .values(next_attempt_at=NOW + timedelta(minutes=5))
        )
    claims = []
    for _ in range(3):
        with session_scope(engine) as session:
            claims.append(
                {
                    r.key
                    for r in outbox.claim(
                        session, limit=2, now=NOW, real_now=NOW, token=outbox.new_claim_token()
                    )
                }
            )
    assert claims == [{"m0", "m1"}, {"m2", "m3"}, set()]


def _sending(engine: Engine, token: str, claimed_at: datetime) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(OutboxMessage).values(
                status=MailStatus.SENDING, claim_token=token, claimed_at=claimed_at
            )
        )


def _pending(engine: Engine) -> int:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage.status)).all()
        return sum(1 for s in rows if s == MailStatus.PENDING)


def test_a_dead_local_deliverers_claim_comes_back_at_once(engine: Engine) -> None:
    _queue(engine, ["a", "b"])
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = outbox.new_claim_token().split(":")[0] + f":{child.stdout.strip()}:x"
    _sending(engine, dead, NOW)
    with session_scope(engine) as session:
        assert outbox.release_stale_claims(session, real_now=NOW) == 2
    assert _pending(engine) == 2


def test_a_live_or_remote_claim_waits_for_its_lease(engine: Engine) -> None:
    _queue(engine, ["a"])
    for token in (outbox.new_claim_token(), "another-host:1:x"):
        _sending(engine, token, NOW)
        with session_scope(engine) as session:
            assert outbox.release_stale_claims(session, real_now=NOW + timedelta(minutes=4)) == 0
        with session_scope(engine) as session:
            assert outbox.release_stale_claims(session, real_now=NOW + timedelta(minutes=6)) == 1


def test_retries_back_off_from_minutes_to_an_hour() -> None:
    delays = [outbox.retry_delay(n) for n in range(12)]
    assert timedelta(minutes=1, seconds=30) <= delays[0] <= timedelta(minutes=3)
    assert all(d <= timedelta(hours=1) for d in delays)
    assert delays[11] >= timedelta(minutes=30)


def test_delivery_works_from_a_thread_whose_event_loop_is_running(
    engine: Engine, smtp_server: LocalSMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `kiemdiem serve`'s loops, or a test driving Playwright's sync API in the same thread,
    # call the synchronous `deliver` where an event loop already runs.
    _queue(engine, ["x", "y"])
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))

    async def inside_a_loop() -> int:
        return deliver(engine, load_settings(), now=NOW).sent

    assert asyncio.run(inside_a_loop()) == 2
    assert sorted(r for m in smtp_server.messages for r in m.recipients) == [
        "x@example.vn",
        "y@example.vn",
    ]
