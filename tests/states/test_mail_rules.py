"""Quiet hours hold non-urgent mail; refused mail is reported to the launching office daily."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from models import MailStatus, OutboxMessage, load_settings, session_scope
from states.cycles import get_cycle
from states.failures import queue_failure_digest
from tests.states.helpers import CYCLE, launch_cycle, local, outbox, tick

LAUNCH = local("2026-11-10 08:00")
QUIET = {"start": "21:00", "end": "06:00"}


def test_quiet_hours_hold_reminders_but_not_escalations(district: Engine, tmp_path: Path) -> None:
    launch_cycle(district, tmp_path, local("2026-11-10 22:00"), quiet_hours=QUIET)
    assert {m.next_attempt_at for m in outbox(district, "plan_issued")} == {
        local("2026-11-11 06:00")
    }
    tick(district, local("2026-11-10 22:00"))
    tick(district, local("2026-11-30 23:00"))  # regular units' reminders; pilots' digests
    reminders, digests = outbox(district, "reminder"), outbox(district, "digest")
    assert reminders and digests
    assert {m.next_attempt_at for m in reminders} == {local("2026-12-01 06:00")}
    assert {m.next_attempt_at for m in digests} == {local("2026-11-30 23:00")}


def _fail(engine: Engine, recipient: str, error: str, at: str) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.recipient) == recipient, col(OutboxMessage.kind) == "plan_issued"
            )
            .values(status=MailStatus.FAILED, last_error=error, failed_at=local(at))
        )


def _digest(engine: Engine, at: str) -> int:
    with session_scope(engine) as session:
        return queue_failure_digest(
            session=session,
            cycle=get_cycle(session, CYCLE),
            now=local(at),
            settings=load_settings(),
        )


@pytest.fixture
def cycle(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH)
    return district


def test_refused_mail_is_reported_once_a_day_each_failure_once(cycle: Engine) -> None:
    assert _digest(cycle, "2026-11-11 08:00") == 0  # nothing refused yet
    _fail(cycle, "a3@example.vn", "550 5.1.1 mailbox unavailable", "2026-11-11 07:00")
    assert _digest(cycle, "2026-11-11 08:00") == 1
    [digest] = outbox(cycle, "failures")
    assert digest.recipient == "d@example.vn"  # the launching committee's office
    assert "a3@example.vn" in digest.body_text and "550 5.1.1" in digest.body_text
    _fail(cycle, "b3@example.vn", "550 no such user", "2026-11-11 09:00")
    assert _digest(cycle, "2026-11-11 18:00") == 0  # one digest a day
    assert _digest(cycle, "2026-11-12 08:00") == 1
    second = outbox(cycle, "failures")[-1]
    assert "b3@example.vn" in second.body_text and "a3@example.vn" not in second.body_text
    with Session(cycle) as session:
        failed = session.exec(
            select(OutboxMessage).where(OutboxMessage.status == MailStatus.FAILED)
        ).all()
    assert all(m.reported_at is not None for m in failed)
