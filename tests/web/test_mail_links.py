"""Every mail that asks someone to act links to the exact page, through a sign-in link for
its recipient signed at delivery: the outbox keeps plain page links, never a live token."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote

import httpx
from sqlmodel import Session, select

from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import OutboxMessage, load_settings
from notifications import deliver
from states.recipients import readdress
from states.signin import personalize, read_link
from tests.web.conftest import NOW, LiveServer
from tests.web.mail import html_of, links_in, text_of
from tests.web.signing import press_sign_in


def deliver_to(server: LiveServer, smtp: LocalSMTPServer) -> None:
    """Deliver the outbox as the tick does; in a thread of its own, because Playwright's
    sync API keeps an event loop running in the tests' thread."""
    settings = load_settings().model_copy(update={"smtp_port": smtp.port})

    def run() -> None:
        deliver(
            server.engine,
            settings,
            now=NOW,
            readdress=readdress,
            personalize=lambda session, rows: personalize(session, rows, settings),
        )

    with ThreadPoolExecutor(1) as pool:
        pool.submit(run).result()


def test_the_plan_mail_signs_its_member_in_on_their_self_review(
    live_server: LiveServer, smtp_server: LocalSMTPServer
) -> None:
    deliver_to(live_server, smtp_server)
    (mail,) = smtp_server.handler.to("a3@example.vn")
    (link,) = set(links_in(text_of(mail), live_server.url))
    assert link.startswith(live_server.url + "/signin/")
    token, _, target = link.removeprefix(live_server.url + "/signin/").partition("?next=")
    assert read_link(live_server.settings, token) == "m:A3"
    assert unquote(target) == "/cycles/TT-2026/units/M%3AA3/self-review"
    assert link in html_of(mail).replace("&amp;", "&")
    with Session(live_server.engine) as session:
        stored = session.exec(
            select(OutboxMessage).where(OutboxMessage.recipient == "a3@example.vn")
        ).one()
    assert "/signin/" not in stored.body_text + stored.body_html
    assert f"{live_server.url}/cycles/TT-2026/units/M%3AA3/self-review" in stored.body_text
    with httpx.Client(follow_redirects=False, timeout=10) as http:
        landed = press_sign_in(http, link)
        assert landed.status_code == 303
        assert landed.headers["location"] == "/cycles/TT-2026/units/M%3AA3/self-review"


def test_an_organizations_own_address_signs_in_its_head_for_its_collectives(
    live_server: LiveServer, smtp_server: LocalSMTPServer
) -> None:
    deliver_to(live_server, smtp_server)
    (cell,) = smtp_server.handler.to("c1@example.vn")  # C1's collective: its own address
    (link,) = set(links_in(text_of(cell), live_server.url))
    token, _, target = link.removeprefix(live_server.url + "/signin/").partition("?next=")
    assert read_link(live_server.settings, token) == "m:A1"  # who heads C1 submits for it
    assert unquote(target) == "/cycles/TT-2026/units/O%3AC1/self-review"
    # So does the district's, for the district's own collectives.
    (district,) = smtp_server.handler.to("d@example.vn")
    (link,) = set(links_in(text_of(district), live_server.url))
    token = link.removeprefix(live_server.url + "/signin/").partition("?")[0]
    assert read_link(live_server.settings, token) == "m:B4"
