"""The layout in a real Chromium: signed in from a link, htmx loaded under the strict CSP,
the language switch, a phone-sized screen."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import LiveServer


def test_a_member_signs_in_from_a_link_on_a_phone(
    page: Any, live_server: LiveServer, signed_in: Any
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    signed_in(page, live_server, "m:A3")
    assert page.url == live_server.url + "/"
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Việc của tôi"
    assert page.evaluate("typeof window.htmx") == "object"
    assert problems == []  # nothing blocked by the CSP, no script error
    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "My tasks"
    page.get_by_role("button", name="Tiếng Việt").click()
    assert page.locator("html").get_attribute("lang") == "vi"
