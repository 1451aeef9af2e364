"""Escalation mail queued as data and rendered at delivery: the same mail as when the tick
rendered it, sent once across a restart, every user-written text escaped."""

from __future__ import annotations

import json
import os
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import Level, Member, MailStatus, OutboxMessage, get_engine, load_settings
from models import session_scope
from notifications.smtp import deliver
from states import submit_self_review
from tests.states.helpers import act, launch_cycle, local, outbox, review_form, tick

LAUNCH = local("2026-11-10 08:00")
# Mornings that between them queue reminders, overdue notices and committees' digests, some
# warning of organizations at risk; the last in English.
MORNINGS = ("2026-11-19 08:00", "2026-11-22 08:00", "2026-11-24 08:00", "2026-11-28 08:00")
ENGLISH_MORNING = "2026-12-03 08:00"
# The mail of those mornings as the tick rendered it before mail was queued as data (written
# by this file's first version with the renderer of that commit; see _write_snapshot).
SNAPSHOT = Path(__file__).with_name("snapshots") / "escalation_mail.json"
KINDS = ("reminder", "overdue", "digest")


def _run_mornings(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    launch_cycle(engine, tmp_path, LAUNCH)
    tick(engine, LAUNCH)
    tick(engine, local("2026-11-11 08:00"))
    act(
        engine,
        submit_self_review,
        unit_code="M:A3",
        actor_code="A3",
        now=local("2026-11-11 09:00"),
        **review_form(Level.GOOD),
    )
    for morning in MORNINGS:
        tick(engine, local(morning))
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    tick(engine, local(ENGLISH_MORNING))
    monkeypatch.delenv("KIEMDIEM_LANG")


def _mail(engine: Engine) -> dict[str, list[str]]:
    """Each escalation mail by key: kind, recipient, subject, text, HTML (as delivered)."""
    return {
        m.key: [m.kind, m.recipient, m.subject, m.body_text, m.body_html]
        for m in outbox(engine)
        if m.kind in KINDS
    }


def test_mail_queued_as_data_renders_at_delivery_as_the_tick_rendered_it(
    district: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_mornings(district, tmp_path, monkeypatch)
    mail = _mail(district)
    if os.environ.get("WRITE_ESCALATION_SNAPSHOT"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(mail, ensure_ascii=False, indent=1, sort_keys=True))
    expected = json.loads(SNAPSHOT.read_text())
    assert {k: v[0] for k, v in mail.items()} == {k: v[0] for k, v in expected.items()}
    assert {v[0] for v in mail.values()} == set(KINDS)
    assert any("Dự báo chậm tiến độ" in v[3] for v in mail.values())  # an at-risk warning
    assert any(v[2].startswith("Overdue review digest") for v in mail.values())  # English
    for key, made in mail.items():
        assert made == expected[key], key
