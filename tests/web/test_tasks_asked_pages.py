"""Việc của tôi's asked tasks in a real Chromium: the residence cell's head follows the opinion
digest from a real SMTP server to the exact page, gives the opinion, and the task is gone; a
committee head follows the grouped suggestion task to the list of its units and writes one;
the inspection commission's supervision task links to remediation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import Member, Opinion, Shortcoming, Unit, get_engine, init_db, session_scope
from models.org_import import import_organizations
from states import give_opinion, submit_self_review
from states.links import opinions, remediation, suggestions, unit_page
from tests.factories import MEMBER_HEADER, MEMBERS, ORG_HEADER, ORGS, write_csv
from tests.states.helpers import CYCLE, act, launch_cycle, review_form, tick
from tests.web.conftest import LAUNCHED, NOW, LiveServer
from tests.web.mail import links_in, text_of
from tests.web.signing import open_link
from tests.web.test_mail_links import deliver_to


@pytest.fixture
def web_district(web_env: dict[str, str], tmp_path: Path) -> Engine:
    """The pages' district, with A3 living in C2's area and B3 on the inspection commission;
    A3 in peer review (C2's head is asked for the opinion), a shortcoming open."""
    engine = get_engine(web_env["KIEMDIEM_DATABASE_URL"])
    init_db(engine)
    members = [{**m, "residence": "C2" if m["code"] == "A3" else ""} for m in MEMBERS]
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=write_csv(tmp_path / "organizations.csv", ORG_HEADER, ORGS),
            members_csv=write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "residence"], members),
        )
    launch_cycle(engine, tmp_path, LAUNCHED, inspection_commission=["B3"])
    tick(engine, LAUNCHED)
    for unit, actor in (("O:C1", "A1"), ("M:A3", "A3")):
        act(engine, submit_self_review, unit_code=unit, actor_code=actor, now=NOW, **review_form())
    tick(engine, NOW)  # asks the opinion, in a digest to C2's secretary
    with session_scope(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        owner = session.exec(select(Member).where(Member.code == "A3")).one()
        session.add(
            Shortcoming(
                cycle_id=unit.cycle_id,
                unit_id=unit.id,
                unit_code=unit.code,
                source="conclusion",
                text="Chậm nộp báo cáo.",
                owner_id=owner.id,
                recorded_at=NOW,
            )
        )
    return engine


def test_the_opinion_digest_leads_to_the_opinion_and_the_task_goes(
    live_server: LiveServer, page: Any, smtp_server: LocalSMTPServer
) -> None:
    deliver_to(live_server, smtp_server)
    (mail,) = [m for m in smtp_server.handler.to("bt.c2@example.vn") if "A3" in text_of(m)]
    (link,) = set(links_in(text_of(mail), live_server.url))
    target = unquote(link.partition("?next=")[2])
    assert target == unit_page(CYCLE, "M:A3") + "/opinions"
    open_link(page, link)  # B1 heads C2: the digest's link signs B1 in
    assert page.url == live_server.url + target
    page.goto(live_server.url + "/")
    task = page.get_by_role("link", name="Gửi ý kiến nhận xét")
    assert task.get_attribute("href") == target
    assert "Nếu đến hạn mà chưa gửi" in page.inner_text("main")
    task.click()
    page.fill("textarea[name=text]", "Đồng chí gương mẫu ở nơi cư trú.")
    page.get_by_role("button", name=re.compile("Gửi ý kiến")).click()
    page.wait_for_load_state()
    assert "?done=given" in page.url
    page.goto(live_server.url + "/")
    assert page.get_by_role("link", name="Gửi ý kiến nhận xét").count() == 0
    assert opinions(CYCLE) != target  # one unit: the unit's page, not the cycle's list


def test_a_committee_head_writes_a_suggestion_from_the_grouped_task(
    live_server: LiveServer, page: Any, signed_in: Callable[..., Any]
) -> None:
    signed_in(page, live_server, "m:B2")
    task = page.get_by_role("link", name=re.compile("^Gửi gợi ý kiểm điểm"))
    assert task.count() == 1  # one task for every unit G2 decides, not one per unit
    assert task.get_attribute("href") == suggestions(CYCLE, "G2")
    counted = re.search(r"(\d+) đơn vị do Đảng ủy xã Hưng Lộc", page.inner_text("main"))
    assert counted
    task.click()
    listed = page.locator("#targets li")
    assert listed.count() == int(counted.group(1))
    assert "Nguyễn Văn B2" not in page.inner_text("#targets")  # not B2's own review
    page.get_by_role("link", name="Nguyễn Văn B3").click()
    page.fill("#text", "Làm rõ việc chậm báo cáo.")
    page.get_by_role("button", name=re.compile("gợi ý")).click()
    page.wait_for_load_state()
    assert "?done=sent" in page.url
    page.goto(live_server.url + suggestions(CYCLE, "G2"))
    assert "Đồng chí đã gửi gợi ý" in page.inner_text("#targets")
    page.goto(live_server.url + "/")
    again = re.search(r"(\d+) đơn vị do Đảng ủy xã Hưng Lộc", page.inner_text("main"))
    assert again and int(again.group(1)) == int(counted.group(1)) - 1
    # Someone who may not suggest to them sees none of G2's units listed.
    page.context.clear_cookies()
    signed_in(page, live_server, "m:A3", suggestions(CYCLE, "G2"))
    assert page.locator("#targets").count() == 0


def test_the_inspection_commission_sees_supervision(
    live_server: LiveServer, page: Any, signed_in: Callable[..., Any]
) -> None:
    signed_in(page, live_server, "m:B3")
    task = page.get_by_role("link", name="Giám sát việc khắc phục hạn chế, khuyết điểm")
    assert task.get_attribute("href") == remediation(CYCLE)
    assert "1 hạn chế, khuyết điểm chưa khắc phục xong" in page.inner_text("main")
    with Session(live_server.engine) as session:
        assert session.exec(select(Shortcoming)).one().status == "open"


def test_an_opinion_given_meanwhile_is_refused_on_the_page_in_words(
    live_server: LiveServer, page: Any, signed_in: Callable[..., Any]
) -> None:
    """B1 (C2's head) has the form open while B2 (heading G2, above C2) gives the opinion:
    B1's send is refused in Vietnamese, naming the residence cell, not "residence:C2"."""
    signed_in(page, live_server, "m:B1", unit_page(CYCLE, "M:A3") + "/opinions")
    page.fill("textarea[name=text]", "Đồng chí gương mẫu.")
    act(
        live_server.engine,
        give_opinion,
        unit_code="M:A3",
        source="residence:C2",
        actor_code="B2",
        now=NOW,
        text="Đã có ý kiến.",
    )
    page.get_by_role("button", name=re.compile("Gửi ý kiến")).click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").first.inner_text()
    assert "ý kiến của chi bộ nơi cư trú C2 đã được cho rồi" in alert, alert
    assert "residence:" not in page.inner_text("main") and "--from" not in alert
    with Session(live_server.engine) as session:
        (given,) = session.exec(select(Opinion)).all()
    assert given.given_by == "B2" and given.text == "Đã có ý kiến."
