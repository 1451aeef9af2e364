"""A member's self-review in a real Chromium, from the link in a mail a real SMTP server
received: write, save a draft, leave, come back, submit. And what must be refused: a
tampered link, a forbidden page, a form without its CSRF token; user text is escaped."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import AuditEntry, Unit
from states.rule_set import load_rule_set
from tests.states.helpers import snapshot
from tests.web.conftest import LiveServer
from tests.web.mail import links_in, text_of
from tests.web.signing import open_link
from tests.web.test_mail_links import deliver_to

CRITERIA = load_rule_set("qd366-2025").criteria
ATTACK = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def test_a_member_writes_saves_comes_back_and_submits_from_the_mail(
    page: Any, live_server: LiveServer, smtp_server: LocalSMTPServer
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    deliver_to(live_server, smtp_server)
    (mail,) = smtp_server.handler.to("a3@example.vn")
    (link,) = set(links_in(text_of(mail), live_server.url))
    open_link(page, link)
    assert page.url.endswith("/cycles/TT-2026/units/M%3AA3/self-review")
    assert page.locator("h1").inner_text() == "Tự kiểm điểm"
    page.fill("#criteria\\.0", "Hoàn thành tốt nhiệm vụ chuyên môn. " + ATTACK)
    page.fill("#score", "80")
    page.select_option("#level", "good")
    page.get_by_role("button", name="Lưu bản nháp").click()
    assert "Đã lưu bản nháp" in page.locator("[role=status]").inner_text()
    page.goto(live_server.url + "/")  # away to Việc của tôi, where the task is listed
    task = page.get_by_role("link", name="Viết và nộp bản tự kiểm điểm")
    task.click()
    assert page.input_value("#criteria\\.0").endswith(ATTACK)  # kept, shown as text
    assert page.input_value("#score") == "80"
    assert dialogs == []
    # A submit with criteria left empty is refused beside them, keeping what was typed.
    with page.expect_navigation():
        page.get_by_role("button", name="Nộp bản tự kiểm điểm").click()
    assert page.locator("#error-criteria\\.1").is_visible()
    assert page.input_value("#criteria\\.0").endswith(ATTACK)
    for i in range(1, len(CRITERIA)):
        page.fill(f"#criteria\\.{i}", "Đạt yêu cầu.")
    page.get_by_role("button", name="Nộp bản tự kiểm điểm").click()
    assert "đã được nộp" in page.locator("[role=status]").inner_text()
    assert dialogs == []
    with Session(live_server.engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        assert unit.state == "peer_review"
        entry = session.exec(
            select(AuditEntry).where(
                AuditEntry.unit_id == unit.id, AuditEntry.trigger == "submit_self_review"
            )
        ).one()
        assert (entry.actor, entry.via) == ("A3", "page")


def test_a_tampered_link_gets_a_page_that_says_what_to_do(
    page: Any, live_server: LiveServer
) -> None:
    link = live_server.link("m:A3")
    token = link.split("/signin/")[1].split("?")[0]
    tampered = link.replace(token, token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB"))
    response = page.goto(tampered)
    assert response.status == 400
    assert page.locator("h1").inner_text() == "Đường dẫn đăng nhập không hợp lệ"
    assert "Đề nghị cấp đường dẫn mới" in page.content()
    assert "Traceback" not in page.content()
    page.goto(live_server.url + "/")
    assert "/signin" in page.url  # not signed in


def test_a_forbidden_page_is_refused_and_changes_nothing(
    page: Any, live_server: LiveServer, signed_in: Any
) -> None:
    before = snapshot(live_server.engine)
    signed_in(page, live_server, "m:B3")
    response = page.goto(live_server.url + "/cycles/TT-2026/units/M%3AA3/self-review")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "Đồng chí không có quyền thực hiện việc này"
    assert snapshot(live_server.engine) == before


def test_a_form_without_its_csrf_token_is_refused(
    page: Any, live_server: LiveServer, signed_in: Any
) -> None:
    signed_in(page, live_server, "m:A3", "/cycles/TT-2026/units/M%3AA3/self-review")
    before = snapshot(live_server.engine)
    page.fill("#criteria\\.0", "Nội dung")
    page.evaluate(
        "document.querySelectorAll('main input[name=csrf_token]').forEach(e => e.remove())"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu bản nháp").click()
    assert page.locator("h1").inner_text() == "Biểu mẫu đã hết hiệu lực"
    assert snapshot(live_server.engine) == before
