"""Việc của tôi: a person's open actions across units, with due dates, the ladder step and
what happens if late; each links to the page where it is done."""

from __future__ import annotations

import pytest

from tests.web.conftest import LiveServer
from tests.web.signing import sign_in_http
from tests.web.test_identity import client


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")


def test_a_cell_secretary_sees_their_own_review_and_their_cells(live_server: LiveServer) -> None:
    with client(live_server) as http:
        sign_in_http(http, live_server, "m:A1")
        page = http.get("/").text
    # A1 heads C1: their own review and the cell's, both due on the pilots' 20 Nov.
    assert 'href="/cycles/TT-2026/units/M%3AA1/self-review"' in page
    assert 'href="/cycles/TT-2026/units/O%3AC1/self-review"' in page
    assert "Due 20/11/2026" in page
    # The ladder's next step: two days before the end of 20 Nov, a reminder to the unit.
    assert "If it is not done: on 19/11/2026 00:00" in page and "the unit will be told" in page
    assert "M%3AA3" not in page  # A3's own review is A3's


def test_a_member_without_tasks_is_told_so(live_server: LiveServer) -> None:
    with client(live_server) as http:
        sign_in_http(http, live_server, "o:D")
        page = http.get("/")
        assert page.status_code == 200
        assert "Nothing is waiting for you now" in page.text


def test_the_office_is_shown_the_way_to_the_dashboard_and_the_office_page(
    live_server: LiveServer,
) -> None:
    with client(live_server) as http:
        sign_in_http(http, live_server, "o:D")
        office = http.get("/").text
        assert 'href="/cycles"' in office and 'href="/office"' in office
        assert http.get("/cycles").status_code == 200 and http.get("/office").status_code == 200
    with client(live_server) as http:
        sign_in_http(http, live_server, "m:A3")
        member = http.get("/").text
    assert 'href="/cycles"' not in member and 'href="/office"' not in member
