"""A whole cycle through the real flows, a real Prefect API and a real SMTP server."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from prefect.artifacts import Artifact
from sqlalchemy.engine import Engine

from flows import launch_cycle, review_cycle
from kiemdiem.demo.smtp_server import LocalSMTPServer, free_port
from models import Level
from states import approve, submit_self_review
from states.self_review import ShortcomingInput
from tests.factories import OVERDUE_ON_22_NOV, PLAN_ISSUED_TO, REMINDED_ON_19_NOV, write_plan
from tests.flows.read_back import task_run_names
from tests.flows.said import mail_said
from tests.states.helpers import act, local, outbox, place, review_form
from tests.states.helpers import launch_cycle as launch_states
from vocabulary.names import STAGES, STATES, capitalized

LAUNCH = local("2026-11-10 08:00")


def _new(server: LocalSMTPServer, seen: int) -> set[str]:
    """Recipients of the messages received since `seen`; each recipient at most once."""
    fresh = [r for m in server.messages[seen:] for r in m.recipients]
    assert len(fresh) == len(set(fresh)), f"someone got two mails in one tick: {fresh}"
    return set(fresh)


def _tick_twice(url: str, server: LocalSMTPServer, now: datetime) -> set[str]:
    seen = len(server.messages)
    state = review_cycle("TT-2026", now=now.isoformat(), database_url=url, return_state=True)
    assert (
        state.is_completed() and mail_said(state) == "mọi thư đã được gửi"
    )  # Vietnamese by default
    received = _new(server, seen)
    again = len(server.messages)
    review_cycle("TT-2026", now=now.isoformat(), database_url=url)
    assert len(server.messages) == again, "the same tick run twice sent mail again"
    return received


def test_mails_reach_the_right_people_at_the_right_ticks(
    wired: tuple[Engine, str],
    smtp_server: LocalSMTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, url = wired
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))
    summary = launch_cycle(str(write_plan(tmp_path)), now=LAUNCH.isoformat(), database_url=url)
    assert summary["units"]["member"] == 9 and summary["delivery"]["sent"] == 14
    assert _new(smtp_server, 0) == PLAN_ISSUED_TO
    assert _tick_twice(url, smtp_server, local("2026-11-18 08:00")) == set()
    assert _tick_twice(url, smtp_server, local("2026-11-19 08:00")) == REMINDED_ON_19_NOV
    act(
        engine,
        submit_self_review,
        unit_code="M:A3",
        actor_code="A3",
        now=local("2026-11-20 09:00"),
        **review_form(Level.GOOD),
    )
    # Self-review one day late: each unit and its secretary. A3, who submitted, waits on its
    # cell's peer review now: the reminder of that stage goes to whoever runs it, not to A3.
    seen = len(smtp_server.messages)
    assert _tick_twice(url, smtp_server, local("2026-11-22 08:00")) == OVERDUE_ON_22_NOV
    assert ("a3@example.vn",) not in [m.recipients for m in smtp_server.messages[seen:]]
    # Three days late: the committee above each unit (C1's units to G1, G1's to the district).
    assert _tick_twice(url, smtp_server, local("2026-11-24 08:00")) == {
        "g1@example.vn",
        "d@example.vn",
    }
    # Seven days late: the standing office. A3's peer review (due 23 Nov) is by now past its
    # 1-day and 3-day steps at once: C1's secretary, who runs it, and G1, each in one mail;
    # A3, who waits on it, hears nothing.
    assert _tick_twice(url, smtp_server, local("2026-11-28 08:00")) == {
        "d@example.vn",
        "bt.c1@example.vn",
        "g1@example.vn",
    }
    ids = [m.message_id for m in smtp_server.messages]
    assert len(ids) == len(set(ids)) and all(i.startswith("<") for i in ids)
    digest = [m for m in smtp_server.messages if m.recipients == ("d@example.vn",)][-1]
    assert digest.subject.startswith("Tổng hợp đơn vị quá hạn kiểm điểm")
    # The artifacts speak the office's language (Vietnamese by default) with the CLI's names.
    states = _table("tt-2026-states")
    assert capitalized(STATES["self_review"]) in states and "self_review" not in states
    overdue = _table("tt-2026-overdue")
    assert "G1" in overdue and '"tổ chức": "G1"' in overdue
    assert "ý kiến đang chờ" in _table("tt-2026-process")
    progress = Artifact.get("tt-2026-progress")
    assert progress is not None and progress.type == "progress"
    assert "đối tượng (đã công bố" in str(progress.description)
    tick = Artifact.get("tt-2026-tick")
    assert tick is not None and tick.type == "markdown"
    assert "## Đã gửi" in str(tick.data) and "Thư đã gửi:" in str(tick.data)
    assert f"nguy cơ trễ hạn: {STAGES['self_review']}" in _table("tt-2026-insights")


def _table(key: str) -> str:
    """A table artifact's rows as JSON text, with Vietnamese letters as written."""
    artifact = Artifact.get(key)
    assert artifact is not None and isinstance(artifact.data, str)
    return json.dumps(json.loads(artifact.data), ensure_ascii=False)


def test_a_tick_with_the_smtp_server_down_ends_with_mail_pending(
    wired: tuple[Engine, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = wired
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(free_port()))  # nothing listens there
    launch_cycle(str(write_plan(tmp_path)), now=LAUNCH.isoformat(), database_url=url)
    state = review_cycle(
        "TT-2026", now=local("2026-11-19 08:00").isoformat(), database_url=url, return_state=True
    )
    assert state.is_completed() and mail_said(state) == "thư đang chờ gửi: 19"
    waiting = state.result()["status"]["mail_retrying"]
    assert sum(w["messages"] for w in waiting) == 19
    assert all("Connect" in w["error"] or "refused" in w["error"] for w in waiting), waiting
    with LocalSMTPServer() as back:
        monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(back.port))
        # Retries wait a few minutes on the cycle's clock: the next tick an hour later sends.
        review_cycle("TT-2026", now=local("2026-11-19 09:00").isoformat(), database_url=url)
        recipients = [r for m in back.messages for r in m.recipients]
    assert len(recipients) == 14 + 5  # plan issued to 14 addresses, 5 reminders


@pytest.mark.parametrize(
    ("mails", "message"),
    [
        ({"sent": 9, "pending": 0, "sending": 0, "failed": 0}, "all mail delivered"),
        ({"sent": 9, "pending": 3, "sending": 0, "failed": 0}, "mail pending: 3"),
        ({"sent": 9, "pending": 2, "sending": 2, "failed": 0}, "being sent by another run: 2"),
        (
            {"sent": 9, "pending": 5, "sending": 2, "failed": 1},
            "mail pending: 3; being sent by another run: 2; "
            "1 refused for good (see the mail-failures artifact)",
        ),
    ],
)
@pytest.mark.usefixtures("english")
def test_the_runs_final_message_says_where_mail_stands(mails: dict[str, int], message: str) -> None:
    from flows.review_cycle import _mail_message

    assert _mail_message(mails) == message


def test_this_years_tick_carries_last_years_remediation_on(
    wired: tuple[Engine, str],
    smtp_server: LocalSMTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """TT-2026's shortcoming falls overdue after TT-2027 is launched: TT-2027's tick marks it
    and escalates it, with no tick of TT-2026's own."""
    engine, url = wired
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))
    launch_states(engine, tmp_path, LAUNCH, remediation_days=30)
    place(engine, "O:C1", "published", proposed_level=Level.GOOD, final_level=Level.GOOD)
    place(engine, "M:A3", "self_review")
    lazy = ShortcomingInput("Chưa chủ động học tập nghị quyết.")
    act(
        engine,
        submit_self_review,
        unit_code="M:A3",
        actor_code="A3",
        now=LAUNCH,
        **review_form(Level.GOOD, shortcomings=[lazy]),
    )
    place(engine, "M:A3", "approval", proposed_level=Level.GOOD)
    act(engine, approve, unit_codes=["M:A3"], actor_code="A2", now=LAUNCH)  # due 10 Dec
    (tmp_path / "2027").mkdir()
    launch_states(
        engine,
        tmp_path / "2027",
        local("2026-12-01 08:00"),
        code="TT-2027",
        previous_cycle="TT-2026",
        launched_by="G1",  # another committee than last year's (D)
    )
    seen = len(smtp_server.messages)
    state = review_cycle(
        "TT-2027", now=local("2026-12-12 08:00").isoformat(), database_url=url, return_state=True
    )
    ticked = state.result()
    assert list(ticked["earlier"]) == ["TT-2026"]
    # Last year's task runs in this tick are named for last year's cycle and committee.
    names = task_run_names(state.state_details.flow_run_id, 8)
    assert names >= {"TT-2026 · D · advance", "TT-2026 · D · escalate", "TT-2027 · G1 · advance"}
    assert all(n.startswith(("TT-2026 · D · ", "TT-2027 · G1 · ")) for n in names), names
    assert ticked["earlier"]["TT-2026"]["advanced"]["moved"]["shortcomings_overdue"] == 1
    assert ("a3@example.vn",) in [m.recipients for m in smtp_server.messages[seen:]]
    notices = [m for m in outbox(engine, "overdue") if "khắc phục hạn chế" in m.body_text]
    # The ladder's one-day step: the member and their cell's secretary.
    assert sorted((m.recipient, m.status) for m in notices) == [
        ("a3@example.vn", "sent"),
        ("bt.c1@example.vn", "sent"),
    ]
