"""Identity over plain HTTP against the real server: links, sessions, CSRF, headers."""

from __future__ import annotations

import time
from unittest import mock

import httpx

from tests.web.conftest import LiveServer
from tests.web.signing import csrf_of, press_sign_in, sign_in_http


def client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)


def test_a_link_signs_in_and_leaves_the_token_behind(live_server: LiveServer) -> None:
    with client(live_server) as http:
        response = press_sign_in(http, live_server.link("m:A3", "/").removeprefix(live_server.url))
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        page = http.get("/")
        assert page.status_code == 200
        assert "Nguyễn Văn A3" in page.text
        headers = page.headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"


def test_nobody_signed_in_is_sent_to_sign_in(live_server: LiveServer) -> None:
    with client(live_server) as http:
        response = http.get("/")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=")


def test_a_tampered_link_is_refused_with_a_page(live_server: LiveServer) -> None:
    link = live_server.link("m:A3").removeprefix(live_server.url)
    token = link.split("/signin/")[1].split("?")[0]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with client(live_server) as http:
        response = http.get(f"/signin/{forged}")
        assert response.status_code == 400
        assert "Traceback" not in response.text
        assert "/signin" in response.text
        assert "kd_session" not in response.headers.get("set-cookie", "") or (
            http.get("/").status_code == 303
        )


def test_a_post_without_its_csrf_token_is_refused(live_server: LiveServer) -> None:
    with client(live_server) as http:
        sign_in_http(http, live_server, "m:A3")
        refused = http.post("/signout")
        assert refused.status_code == 403
        assert http.get("/").status_code == 200  # still signed in: nothing changed
        token = csrf_of(http.get("/").text)
        assert http.post("/signout", data={"csrf_token": token}).status_code == 303
        assert http.get("/").status_code == 303


def test_an_expired_link_and_someone_elses_link_are_refused_and_change_nothing(
    live_server: LiveServer,
) -> None:
    days = live_server.settings.signin_link_days
    with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - (days + 1) * 86400):
        old = live_server.link("m:A3").removeprefix(live_server.url)
    with client(live_server) as http:
        expired = http.get(old)
        assert expired.status_code == 400 and "Đường dẫn đăng nhập đã hết hạn" in expired.text
        assert http.get("/").status_code == 303  # not signed in
        sign_in_http(http, live_server, "m:B1")
        foreign = http.get(live_server.link("m:A3").removeprefix(live_server.url))
        assert foreign.status_code == 403
        assert "Đường dẫn đăng nhập này dành cho người khác" in foreign.text
        assert "Nguyễn Văn B1" in http.get("/").text  # still B1


def test_a_link_sends_nowhere_but_this_site(live_server: LiveServer) -> None:
    with client(live_server) as http:
        link = live_server.link("m:A3").removeprefix(live_server.url).split("?")[0]
        shown = http.get(link, params={"next": "//evil.example/x"})
        assert "evil.example" not in shown.text  # the button's form carries "/" instead
        forged = http.post(link, data={"csrf_token": csrf_of(shown.text), "next": "//evil.x/"})
        assert forged.headers["location"] == "/"
    for sneaky in ("/\t/evil.example/", "/\\evil.example", "https://evil.example/"):
        with client(live_server) as http:
            landed = press_sign_in(
                http, live_server.link("m:A3", sneaky).removeprefix(live_server.url)
            )
            assert landed.headers["location"] == "/", sneaky


def test_a_link_posted_without_its_csrf_token_signs_nobody_in(live_server: LiveServer) -> None:
    link = live_server.link("m:A3").removeprefix(live_server.url)
    with client(live_server) as http:
        http.get(link)
        forged = http.post(link.split("?")[0], data={"next": "/"})
        assert forged.status_code == 403
        assert http.get("/").status_code == 303  # not signed in
    with client(live_server) as http:  # and the link was not used up by the forged post
        assert press_sign_in(http, link).status_code == 303


def test_the_used_links_table_holds_hashes_and_purges_the_expired(
    live_server: LiveServer,
) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session, select

    from models.signin import UsedSigninLink
    from states.signin import read_grant, use_link

    link = live_server.link("m:A3").removeprefix(live_server.url)
    token = link.split("/signin/")[1].split("?")[0]
    with client(live_server) as http:
        press_sign_in(http, link)
    with Session(live_server.engine) as session:
        rows = session.exec(select(UsedSigninLink)).all()
        assert len(rows) == 1
        assert token not in rows[0].id_hash and read_grant(live_server.settings, token).link_id
        assert read_grant(live_server.settings, token).link_id not in rows[0].id_hash
        # A later exchange, after the first link's expiry, purges its row.
        later = rows[0].expires_at + timedelta(seconds=1)
        grant = read_grant(
            live_server.settings, live_server.link("m:B1").split("/signin/")[1].split("?")[0]
        )
        assert use_link(session, grant, now=later, settings=live_server.settings)
        session.commit()
        left = session.exec(select(UsedSigninLink)).all()
        assert [r.expires_at > datetime.now(UTC) for r in left] == [True]


def test_a_link_pressed_in_two_browsers_at_once_signs_in_one(live_server: LiveServer) -> None:
    """Both see the button (neither has used it); only the first press signs in."""
    link = live_server.link("m:A3").removeprefix(live_server.url)
    with client(live_server) as first, client(live_server) as second:
        one, two = first.get(link), second.get(link)
        action = link.split("?")[0]
        assert first.post(action, data={"csrf_token": csrf_of(one.text)}).status_code == 303
        late = second.post(action, data={"csrf_token": csrf_of(two.text)})
        assert late.status_code == 410 and "đã được dùng" in late.text
        assert "Nguyễn Văn A3" not in late.text  # not signed in, and nothing of A3 shown
        assert second.get("/").status_code == 303
        assert first.get("/").status_code == 200
