"""A secretary records a comment a member made at the meeting: the row keeps who said it and
who typed it in (and how); the meeting page and the unit's history say "ghi bởi" then, and
not for the secretary's own comment. In a real Chromium against the real server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from models import Member
from models.cycle import Comment
from states import submit_self_review
from states.links import unit_page
from tests.states.helpers import CYCLE, act, review_form
from tests.web.conftest import NOW, LiveServer
from tests.web.signing import open_link

MEETING = unit_page(CYCLE, "M:B3") + "/meeting"


def test_a_comment_recorded_by_the_secretary_says_who_typed_it(
    live_server: LiveServer, browser: Any, page: Any, signed_in: Callable[..., Any]
) -> None:
    engine = live_server.engine
    act(engine, submit_self_review, unit_code="O:C2", actor_code="B1", now=NOW, **review_form())
    act(engine, submit_self_review, unit_code="M:B3", actor_code="B3", now=NOW, **review_form())
    signed_in(page, live_server, "m:B1", MEETING)
    page.select_option("#speaker", "B2")
    page.fill("#text", "Đồng chí cần chủ động hơn.")
    page.get_by_role("button", name="Ghi ý kiến", exact=True).click()
    page.select_option("#speaker", "B1")
    page.fill("#text", "Tôi đồng ý với đồng chí B2.")
    page.get_by_role("button", name="Ghi ý kiến", exact=True).click()
    items = page.locator("#comments li")
    assert items.count() == 2, page.inner_text("main")
    assert "ghi bởi Nguyễn Văn B1" in items.nth(0).inner_text()
    assert "ghi bởi" not in items.nth(1).inner_text()  # the secretary's own words

    with Session(engine) as session:
        ids = dict(session.exec(select(Member.id, Member.code)).all())
        rows = session.exec(select(Comment).order_by(col(Comment.id))).all()
        assert [(ids[r.author_id], r.entered_by, r.entered_via) for r in rows] == [
            ("B2", "B1", "page"),
            ("B1", "B1", "page"),
        ]

    # The member reviewed sees it in the unit's history, from their own link.
    context = browser.new_context(locale="vi-VN")
    own = context.new_page()
    try:
        open_link(own, live_server.link("m:B3", unit_page(CYCLE, "M:B3")))
        shown = own.locator("#history tbody tr").all_inner_texts()
        said_by_b2 = [t for t in shown if "chủ động hơn" in t]
        said_by_b1 = [t for t in shown if "Tôi đồng ý" in t]
        assert said_by_b2 and all("ghi bởi Nguyễn Văn B1" in t for t in said_by_b2)
        assert said_by_b1 and not any("ghi bởi" in t for t in said_by_b1)
    finally:
        context.close()
