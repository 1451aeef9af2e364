"""Escalation mail queued as data and rendered at delivery: the same mail as when the tick
rendered it, sent once across a restart, every user-written text escaped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import (
    Level,
    MailStatus,
    Member,
    OutboxMessage,
    get_engine,
    load_settings,
    session_scope,
)
from notifications.smtp import deliver
from states import submit_self_review
from tests.states.helpers import act, launch_cycle, local, outbox, review_form, tick
from tests.web.mail import html_of, text_of

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
    with Session(district) as session:  # as the tick queued them: data, no text yet
        rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.kind).in_(KINDS)))
        assert all(
            r.payload and (r.subject, r.body_text, r.body_html) == ("", "", "") for r in rows
        )


def _deliver(engine: Engine, smtp: LocalSMTPServer) -> None:
    """Deliver the outbox as the tick's delivery task does (readdressed, links signed)."""
    from states.recipients import readdress
    from states.signin import personalize

    settings = load_settings().model_copy(update={"smtp_port": smtp.port})
    deliver(
        engine,
        settings,
        now=local(MORNINGS[-1]),
        readdress=readdress,
        personalize=lambda session, rows: personalize(session, rows, settings),
    )


def _dead_pid() -> int:
    """The id of a process of this machine that has ended."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_restart_between_queue_and_delivery_sends_each_mail_once(
    district: Engine, tmp_path: Path, smtp_server: LocalSMTPServer
) -> None:
    launch_cycle(district, tmp_path, LAUNCH)
    tick(district, LAUNCH)
    with session_scope(district) as session:  # the plan's mail is not this test's
        session.execute(update(OutboxMessage).values(status=MailStatus.SENT))
    tick(district, local(MORNINGS[-1]))
    # A deliverer claims part of the queue and dies before sending any of it.
    with session_scope(district) as session:
        import socket

        from notifications import outbox as box

        token = f"{socket.gethostname()}:{_dead_pid()}:dead"
        claimed = box.claim(
            session, limit=3, now=local(MORNINGS[-1]), real_now=local(MORNINGS[-1]), token=token
        )
    assert len(claimed) == 3
    url = str(district.url)
    district.dispose()
    from notifications.render import _environment

    _environment.cache_clear()  # nothing rendered is left in memory either
    restarted = get_engine(url)
    _deliver(restarted, smtp_server)
    _deliver(restarted, smtp_server)
    with Session(restarted) as session:
        queued = session.exec(select(OutboxMessage).where(col(OutboxMessage.kind).in_(KINDS)))
        keys = {r.message_id: r for r in queued}
        assert {r.status for r in keys.values()} == {MailStatus.SENT}
    received = [m for m in smtp_server.handler.messages if m.message_id in keys]
    assert sorted(m.message_id for m in received) == sorted(keys)  # each once, none twice
    assert {m.recipients for m in received} == {(r.recipient,) for r in keys.values()}
    for m in received:
        assert m.subject and m.subject.endswith("(TT-2026)")
    # The outbox still holds no text, so no live sign-in token; the mail sent has its link.
    assert all(r.body_text == "" and r.body_html == "" for r in keys.values())
    assert any("/signin/" in text_of(m) for m in received)


def test_markup_in_a_members_and_an_organizations_name_is_escaped_in_the_delivered_digest(
    district: Engine, tmp_path: Path, smtp_server: LocalSMTPServer
) -> None:
    from models import Organization

    name, office = '<b>Nguyễn "Ba" & Co</b>', "<script>alert(1)</script> G1"
    with session_scope(district) as session:
        session.execute(update(Member).where(col(Member.code) == "A3").values(full_name=name))
        session.execute(
            update(Organization).where(col(Organization.code) == "G1").values(name=office)
        )
    launch_cycle(district, tmp_path, LAUNCH)
    tick(district, LAUNCH)
    with session_scope(district) as session:
        session.execute(update(OutboxMessage).values(status=MailStatus.SENT))
    tick(district, local(MORNINGS[-1]))
    _deliver(district, smtp_server)
    (digest,) = [m for m in smtp_server.handler.to("g1@example.vn") if "M:A3" in text_of(m)]
    html, text = html_of(digest), text_of(digest)
    assert "&lt;b&gt;Nguyễn &#34;Ba&#34; &amp; Co&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; G1" in html  # the recipient, G1's office
    assert "<b>" not in html and "<script>" not in html
    assert name in text and office in text  # the text part prints them as written


@pytest.mark.parametrize("name", ["Nguyễn Văn A", 'a "quoted" \\ name', "tab\tnew\nline", "\u2028"])
def test_a_unit_item_written_by_hand_is_the_json_of_its_fields(name: str) -> None:
    from notifications import deferred

    fields = {
        "unit_code": "M:A3",
        "kind": "member",
        "stage": "self_review",
        "unit_name": name,
        "org_name": "<b>Chi bộ</b>",
        "due_local": "01/12/2026",
        "days_late": 3,
    }
    assert deferred.unit_item(**fields) == deferred.item(fields)
    assert json.loads(deferred.unit_item(**fields)) == fields


def test_a_refused_mail_queued_as_data_is_listed_with_its_subject(
    district: Engine, tmp_path: Path
) -> None:
    from states import cycle_status
    from states.cycles import get_cycle
    from states.failures import queue_failure_digest

    launch_cycle(district, tmp_path, LAUNCH)
    tick(district, LAUNCH)
    tick(district, local(MORNINGS[0]))  # reminders
    refused = update(OutboxMessage).where(col(OutboxMessage.recipient) == "a1@example.vn")
    with session_scope(district) as session:
        session.execute(
            refused.where(col(OutboxMessage.kind) == "reminder").values(
                status=MailStatus.FAILED, last_error="550 5.1.1", failed_at=local(MORNINGS[0])
            )
        )
    (reminder,) = [m for m in outbox(district, "reminder") if m.recipient == "a1@example.vn"]
    assert reminder.subject.startswith("Nhắc hạn kiểm điểm")
    with session_scope(district) as session:
        cycle = get_cycle(session, "TT-2026")
        status = cycle_status(session=session, cycle=cycle, now=local(MORNINGS[0]))
        queue_failure_digest(
            session=session, cycle=cycle, now=local(MORNINGS[0]), settings=load_settings()
        )
    assert [f["subject"] for f in status["mail_failures"]] == [reminder.subject]
    (digest,) = outbox(district, "failures")
    assert f'"{reminder.subject}"' in digest.body_text
