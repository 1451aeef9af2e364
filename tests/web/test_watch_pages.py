"""The dashboard, a unit's history, the report, remediation, the office's upload and launch,
opinions and suggestions, in a real Chromium against a real server."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from models import Cycle, Level, Member, Shortcoming, Suggestion, Unit, session_scope
from models.remediation import RemediationStatus
from states.links import approval, cycle_page, remediation, unit_page
from tests.factories import ORG_HEADER, ORGS, write_csv, write_district, write_plan
from tests.states.helpers import CYCLE, place
from tests.web.conftest import NOW, LiveServer
from tests.web.signing import open_link

HOSTILE = "<b>đậm</b><script>alert(1)</script>"


@pytest.fixture
def english(web_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")


def test_the_office_watches_the_whole_cycle_and_downloads_the_report(
    english: None, live_server: LiveServer, page: Any, signed_in: Callable[..., Any]
) -> None:
    signed_in(page, live_server, "m:B4", "/cycles")  # B4 heads D, the launching committee
    page.click(f"a[href='{cycle_page(CYCLE)}']")
    stages = page.inner_text("#stages")
    assert "Self-review" in stages and "Higher-level approval" in stages
    with page.expect_download() as download:
        page.click("#report")
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert workbook.sheetnames  # a real workbook, the CLI's
    page.goto(live_server.url + unit_page(CYCLE, "M:A3"))
    assert "Plan issued → In self-review" in page.inner_text("#history")
    # A head watches only its own subtree, and gets no report.
    signed_in(page.context.browser.new_context().new_page(), live_server, "m:B2")
    other = page.context.browser.new_context().new_page()
    open_link(other, live_server.link("m:B2", cycle_page(CYCLE)))
    assert "Following:" in other.inner_text("main") and other.locator("#report").count() == 0
    response = other.request.get(live_server.url + cycle_page(CYCLE) + "/report.xlsx")
    assert response.status == 403
    other.goto(live_server.url + unit_page(CYCLE, "M:A3"))  # G1's, not G2's
    assert "You may not do this" in other.inner_text("main")


def test_owners_report_and_the_commission_supervises(
    english: None, live_server: LiveServer, page: Any, signed_in: Callable[..., Any]
) -> None:
    with session_scope(live_server.engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        a3 = session.exec(select(Member).where(Member.code == "A3")).one()
        item = Shortcoming(
            cycle_id=unit.cycle_id,
            unit_id=unit.id,
            unit_code=unit.code,
            source="self_review",
            text=HOSTILE,
            owner_id=a3.id,
            recorded_at=NOW,
            status=RemediationStatus.OPEN,
        )
        session.add(item)
        session.flush()
        item_id = item.id
    signed_in(page, live_server, "m:A3", remediation(CYCLE))
    assert HOSTILE in page.inner_text(f"#item-{item_id}")
    page.fill(f"#note-{item_id}", "Đã khắc phục: có biên bản kèm theo.")
    page.check("input[name=remedied]")
    page.click(f"#item-{item_id} button")
    assert "Recorded." in page.inner_text("main")
    with Session(live_server.engine) as session:
        assert session.get(Shortcoming, item_id).status is RemediationStatus.REMEDIED  # type: ignore[union-attr]
    # Someone else cannot report on it: the form is not offered, and a forged post is refused.
    other = page.context.browser.new_context().new_page()
    open_link(other, live_server.link("m:A1", remediation(CYCLE)))
    assert other.locator(f"#note-{item_id}").count() == 0


def test_the_office_sees_every_bad_line_and_nothing_is_imported(
    english: None,
    live_server: LiveServer,
    page: Any,
    signed_in: Callable[..., Any],
    tmp_path: Path,
) -> None:
    bad = [*ORGS, {**ORGS[-1], "code": "C9", "parent_code": "NOWHERE"}]
    (tmp_path / "up").mkdir()
    orgs_csv = write_csv(tmp_path / "up" / "organizations.csv", ORG_HEADER, bad)
    _, members_csv = write_district(tmp_path)
    signed_in(page, live_server, "o:D", "/office")
    page.set_input_files("#organizations", str(orgs_csv))
    page.set_input_files("#members", str(members_csv))
    page.click("#import")
    errors = page.inner_text("#errors")
    assert "organizations.csv" in errors and "NOWHERE" in errors and ":9:" in errors
    with Session(live_server.engine) as session:
        assert session.exec(select(Unit).where(Unit.code == "O:C9")).first() is None
    # A plan with a wrong key is refused naming it; a good one launches.
    (tmp_path / "plans").mkdir()
    page.set_input_files(
        "#plan", str(write_plan(tmp_path / "plans", code="TT-2027", rule_set="nope"))
    )
    page.click("#launch")
    assert "plan.yaml" in page.inner_text("#errors") and "rule_set" in page.inner_text("#errors")
    page.set_input_files("#plan", str(write_plan(tmp_path / "plans", code="TT-2027")))
    page.click("#launch")
    assert "The cycle was launched" in page.inner_text("main")
    with Session(live_server.engine) as session:
        assert session.exec(select(Cycle).where(Cycle.code == "TT-2027")).one()
    # A cell's member has no office page.
    member = page.context.browser.new_context().new_page()
    open_link(member, live_server.link("m:A3", "/office"))
    assert "You may not do this" in member.inner_text("main")


def test_a_suggestion_is_written_and_shown_escaped(
    english: None, live_server: LiveServer, page: Any, signed_in: Callable[..., Any]
) -> None:
    signed_in(page, live_server, "m:A2", unit_page(CYCLE, "M:A3") + "/suggestions")
    page.fill("#text", HOSTILE)
    page.click("text=Send the suggestion")
    assert "The suggestion was sent" in page.inner_text("main")
    assert HOSTILE in page.inner_text("main")
    with Session(live_server.engine) as session:
        assert [s.text for s in session.exec(select(Suggestion))] == [HOSTILE]
    # The member under review may not write one to themself.
    own = page.context.browser.new_context().new_page()
    open_link(own, live_server.link("m:A3", unit_page(CYCLE, "M:A3") + "/suggestions"))
    assert "You may not do this" in own.inner_text("main")


def test_the_pages_speak_vietnamese_by_default(
    live_server: LiveServer, page: Any, signed_in: Callable[..., Any]
) -> None:
    signed_in(page, live_server, "m:B4", cycle_page(CYCLE))
    main = page.inner_text("main")
    assert "Tiến độ theo bước" in main and "Tải báo cáo (Excel)" in main
    place(
        live_server.engine, "O:C1", "published", proposed_level=Level.GOOD, final_level=Level.GOOD
    )
    place(live_server.engine, "M:A1", "approval", proposed_level=Level.GOOD, score=80)
    other = page.context.browser.new_context().new_page()
    open_link(other, live_server.link("m:A2", approval(CYCLE, "G1")))
    desk = other.inner_text("main")
    assert "Quyết định xếp loại" in desk and "Hoàn thành tốt nhiệm vụ" in desk
