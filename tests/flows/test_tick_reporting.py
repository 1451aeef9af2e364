"""What a tick tells whoever watches it: retries of transient database errors only, a markdown
summary with nothing of a person's text read as markup, and a final word on what is pending."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from prefect import flow, task
from prefect.states import Failed
from sqlalchemy.exc import IntegrityError, OperationalError

from flows._tasks import DB_RETRIES, md, tick_markdown, transient_database_error
from flows.review_cycle import _pending_message
from models.db import is_transient

NOW = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)


def _operational(message: str) -> OperationalError:
    return OperationalError("UPDATE unit", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (_operational("database is locked"), True),
        (_operational("could not serialize access due to concurrent update"), True),
        (_operational("no such table: unit"), False),
        (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")), False),
        (ValueError("database is locked"), False),
    ],
)
def test_only_what_a_rerun_can_get_past_is_retried(exc: Exception, transient: bool) -> None:
    assert is_transient(exc) is transient
    state = Failed(data=exc)
    assert transient_database_error(None, None, state) is transient  # type: ignore[arg-type]


def test_a_locked_database_is_retried_by_the_task_itself(prefect_api: None) -> None:
    tries: list[int] = []

    @task(**{**DB_RETRIES, "retry_delay_seconds": 0})
    def flaky() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise _operational("database is locked")
        return "done"

    @task(**{**DB_RETRIES, "retry_delay_seconds": 0})
    def broken() -> None:
        tries.append(1)
        raise _operational("no such table: unit")

    @flow
    def both() -> tuple[str, bool]:
        first = flaky()
        state = broken(return_state=True)
        return first, state.is_failed()

    assert both() == ("done", True)
    assert len(tries) == 3 + 1  # two locks then success; the missing table failed at once


def _summary() -> dict[str, object]:
    return {
        "advanced": {"moved": {"start": 24, "open_vote": 0}},
        "escalated": {"steps": 5, "digests": 2, "unresolved": ["M:X"]},
        "earlier": {"TT-2025": {"advanced": {"moved": {"close": 3}}}},
        "delivery": {"sent": 19, "failed": 1, "retried": 0, "errors": ["550 <b>no</b> | *x*"]},
        "status": {"units": 24, "decided": 4, "overdue": {"self_review": 5, "vote": 1}},
    }


def _status() -> dict[str, object]:
    return {
        "units": 24,
        "decided": 4,
        "overdue": {"self_review": 5, "vote": 0},
        "mails": {"sent": 9, "pending": 3, "sending": 0, "failed": 0},
    }


@pytest.mark.usefixtures("english")
def test_the_summary_says_what_moved_and_what_was_sent_with_markup_escaped() -> None:
    text = tick_markdown("TT-2026", NOW, _summary(), "all mail delivered")
    assert "**Units decided:** 4 of 24; **overdue now:** 6" in text
    assert "| TT\\-2026 | Start | 24 |" in text and "Open the vote on" not in text
    assert "| TT\\-2025 | Close | 3 |" in text
    assert "Escalation steps recorded: 5; digests queued: 2; units with no one to tell: 1." in text
    assert "Mails sent: 19; refused for good: 1; to retry: 0." in text
    assert "- 550 &lt;b\\>no&lt;/b\\> \\| \\*x\\*" in text
    assert "<b>" not in text


def test_the_summary_and_final_word_are_in_vietnamese_by_default_at_local_time() -> None:
    from vocabulary import names

    text = tick_markdown("TT-2026", NOW, _summary(), _pending_message(_status()))
    assert text.startswith("# Lượt chạy của đợt TT\\-2026 lúc 19/11/2026 08:00\n")  # not 01:00 UTC
    assert "**Đã quyết định:** 4 trên 24 đối tượng; **đang quá hạn:** 6" in text
    assert f"| TT\\-2026 | {names.capitalized(names.ACTIONS['start'])} | 24 |" in text
    assert "Thư đã gửi: 19; bị từ chối hẳn: 1; chờ gửi lại: 0." in text
    assert _pending_message(_status()) == (
        "thư đang chờ gửi: 3. Đối tượng chưa được quyết định: 20 trên 24 (5 quá hạn)."
    )
    assert "thư đang chờ gửi: 3\\. Đối tượng chưa được quyết định: 20 trên 24 \\(5" in text
    for english in ("Tick of", "Units decided", "Mails sent", "mail pending", "Changed"):
        assert english not in text


def test_markdown_text_is_literal() -> None:
    assert md("[link](javascript:x) <img src=x>\n# head") == (
        "\\[link\\]\\(javascript:x\\) &lt;img src=x\\> \\# head"
    )


@pytest.mark.usefixtures("english")
def test_the_final_word_names_pending_mail_and_undecided_units() -> None:
    status = _status()
    assert _pending_message(status) == (
        "mail pending: 3. Units not yet decided: 20 of 24 (5 overdue)."
    )
    status.update(decided=24, overdue={"vote": 0}, mails={**status["mails"], "pending": 0})  # type: ignore[dict-item]
    assert _pending_message(status) == "all mail delivered. Units not yet decided: 0 of 24."
