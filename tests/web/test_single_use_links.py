"""Single-use sign-in links in a real browser: the link from a mail received by a real SMTP
server signs in once; a second browser gets a page offering a fresh link; a GET alone (what a
mail scanner does) uses nothing up; a tampered or expired link still gets its page."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import httpx

from tests.web.conftest import LiveServer
from tests.web.signing import BUTTON

FRESH = "Gửi cho tôi đường dẫn đăng nhập"


def _new_page(browser: Any) -> Any:
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def test_a_link_signs_in_once_and_a_second_browser_is_offered_a_fresh_one(
    live_server: LiveServer, page: Any, browser: Any
) -> None:
    link = live_server.link("m:A3")
    # What a mail scanner does: fetch the link, follow nothing.
    assert httpx.get(link, follow_redirects=False, timeout=10).status_code == 200
    page.goto(link)
    assert "Nguyễn Văn A3" in page.content()
    page.get_by_role("button", name=BUTTON).click()
    page.wait_for_load_state()
    assert page.url == live_server.url + "/"  # the token has left the address bar
    assert "Việc của tôi" in page.content()
    page.goto(link)  # the same browser, already signed in as A3: straight on
    assert page.url == live_server.url + "/"
    other = _new_page(browser)
    try:
        other.goto(link)  # the link's page already says it was used: no button to press
        assert not other.get_by_role("button", name=BUTTON).count()
        text = other.content()
        assert "đã được dùng" in text and "Nguyễn Văn A3" not in text
        other.fill("#email", "nobody@nowhere.example")
        other.get_by_role("button", name=FRESH).click()
        other.wait_for_load_state()
        assert "đường dẫn đăng nhập đang được gửi" in other.content().lower()
        other.goto(live_server.url + "/")
        assert "/signin" in other.url  # still nobody signed in there
    finally:
        other.context.close()


def test_a_tampered_or_expired_link_gets_its_page(live_server: LiveServer, page: Any) -> None:
    link = live_server.link("m:A3")
    token = link.split("/signin/")[1].split("?")[0]
    page.goto(link.replace(token, token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")))
    assert "Đường dẫn đăng nhập không hợp lệ" in page.content()
    days = live_server.settings.signin_link_days
    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - (days + 1) * 86400):
        old = live_server.link("m:A3")
    page.goto(old)
    assert "Đường dẫn đăng nhập đã hết hạn" in page.content()
    assert not page.get_by_role("button", name=BUTTON).count()
