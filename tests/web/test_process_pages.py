"""The process pages in a real Chromium against a real server: a secretary's meeting with a
secret vote of three voters, each from their own sign-in link; an approver who hits the cap,
sees why, and lowers one with a reason; forbidden pages; user text escaped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session, select

from models import Level, Shortcoming, Unit
from states import submit_self_review
from states.links import approval, unit_page
from tests.states.helpers import CYCLE, act, place, review_form
from tests.web.conftest import NOW, LiveServer
from tests.web.signing import open_link

MEETING = unit_page(CYCLE, "M:B3") + "/meeting"
BALLOT = unit_page(CYCLE, "M:B3") + "/ballot"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def english(web_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the pages' English words (before the server reads its settings)."""
    monkeypatch.setenv("KIEMDIEM_LANG", "en")


def _unit(server: LiveServer, code: str) -> Unit:
    with Session(server.engine) as session:
        return session.exec(select(Unit).where(Unit.code == code)).one()


def _no_dialogs(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("dialog", lambda d: (seen.append(d.message), d.dismiss()))
    return seen


def test_a_secretary_runs_a_meeting_and_a_secret_vote_of_three(
    english: None, live_server: LiveServer, browser: Any, page: Any, signed_in: Callable[..., Any]
) -> None:
    engine = live_server.engine
    act(engine, submit_self_review, unit_code="O:C2", actor_code="B1", now=NOW, **review_form())
    act(engine, submit_self_review, unit_code="M:B3", actor_code="B3", now=NOW, **review_form())
    dialogs = _no_dialogs(page)
    signed_in(page, live_server, "m:B1", MEETING)
    assert page.url.endswith(MEETING)
    assert page.locator("#state").inner_text() == "In peer review"
    page.select_option("#speaker", "B2")
    page.fill("#text", HOSTILE)
    page.click("text=Record the comment")
    assert "The comment was recorded." in page.inner_text("main")
    # The comment is shown as the text it is, never run.
    assert HOSTILE in page.locator("#comments").inner_text()
    assert page.locator("#comments img").count() == 0 and dialogs == []
    page.click("#open-vote")
    assert page.locator("#state").inner_text() == "In the vote"
    assert "0 of 3 eligible voters have voted" in page.inner_text("#voted")

    # Each voter from their own link, in their own browser.
    for n, voter in enumerate(("B1", "B2", "B4"), start=1):
        context = browser.new_context()
        own = context.new_page()
        open_link(own, live_server.link(f"m:{voter}", BALLOT))
        own.check("input[name=level][value=good]")
        own.click("#cast")
        confirmation = own.inner_text("main")
        assert "Your vote was counted" in confirmation
        # The confirmation says it was counted, not what it was.
        assert "Well" not in confirmation and own.locator("input[name=level]").count() == 0
        context.close()
        page.goto(live_server.url + MEETING)
        assert f"{n} of 3 eligible voters have voted" in page.inner_text("#voted")
        roll = page.inner_text("#roll")
        assert roll.count("voted") == n + 1  # the header, then one per voter who voted
        assert "Round 1, counted:" not in page.inner_text("main")  # no count while open

    page.click("#close-vote")
    main = page.inner_text("main")
    assert "The vote is closed and counted" in main
    assert "Round 1, counted:" in main and "Well completed duties: 3" in main
    unit = _unit(live_server, "M:B3")
    assert unit.state == "approval" and unit.proposed_level is Level.GOOD


def test_an_approver_hits_the_cap_sees_why_and_lowers_one_with_a_reason(
    english: None, live_server: LiveServer, page: Any, signed_in: Callable[..., Any]
) -> None:
    engine = live_server.engine
    place(engine, "O:C1", "published", proposed_level=Level.GOOD, final_level=Level.GOOD)
    place(engine, "M:A1", "approval", proposed_level=Level.EXCELLENT, score=95)
    place(engine, "M:A3", "approval", proposed_level=Level.GOOD, score=80)
    desk = approval(CYCLE, "G1")
    signed_in(page, live_server, "m:A2", desk)  # A2 heads G1
    assert "over the cap" in page.inner_text("#checks")
    page.click("#approve")  # without JS's help: the server checks on submit too
    problems = page.inner_text("#problems")
    assert "1 excellent would exceed 20% of 1 good (at most 0)" in problems
    assert _unit(live_server, "M:A1").state == "approval"  # refused: nothing changed

    page.select_option("select[name='level.M:A1']", "good")  # htmx checks again at once
    page.wait_for_function(
        "() => document.querySelector('#problems')?.innerText"
        ".includes('lowering Excellently completed')"
    )
    assert "over the cap" not in page.inner_text("#checks")
    page.fill("#reason", "Chưa có sản phẩm vượt trội so với đồng chí cùng vị trí.")
    page.wait_for_selector("#rules-ok")
    page.fill("#conclusions", "Chưa chủ động đề xuất giải pháp mới.")
    page.click("#approve")
    assert "The levels were decided and published." in page.inner_text("main")
    assert _unit(live_server, "M:A1").final_level is Level.GOOD
    assert _unit(live_server, "M:A3").final_level is Level.GOOD
    with Session(live_server.engine) as session:  # the conclusion became a shortcoming each
        conclusions = session.exec(
            select(Shortcoming.unit_code).where(Shortcoming.source == "conclusion")
        ).all()
    assert sorted(conclusions) == ["M:A1", "M:A3"]
    # A grassroots committee's desk posts two fields per unit: hundreds pass, not only 500.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    many = "&".join(f"unit=M%3AZ{i}&level.M%3AZ{i}=good" for i in range(800))
    response = page.request.post(
        live_server.url + desk + "/check",
        data=f"csrf_token={token}&{many}",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200 and 'id="checks"' in response.text()


def test_forbidden_pages_and_actions_are_refused_with_a_page(
    english: None, live_server: LiveServer, page: Any, signed_in: Callable[..., Any]
) -> None:
    place(live_server.engine, "M:A1", "approval", proposed_level=Level.GOOD, score=80)
    # A member is not on G1's committee: the desk is refused with a page, never a traceback.
    signed_in(page, live_server, "m:A3", approval(CYCLE, "G1"))
    assert "You may not do this" in page.inner_text("main")
    assert "does not head G1" in page.inner_text("main")
    # Another cell's secretary does not run B3's meeting.
    page.goto(live_server.url + MEETING)
    assert "You may not do this" in page.inner_text("main")
    # A forged decision posted with a valid session and token is refused by the same guard.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(
        live_server.url + approval(CYCLE, "G1"),
        form={"csrf_token": token, "unit": "M:A1", "action": "approve"},
    )
    assert response.status == 403 and "Traceback" not in response.text()
    assert _unit(live_server, "M:A1").state == "approval"
