"""Identity over plain HTTP against the real server: links, sessions, CSRF, headers."""

from __future__ import annotations

import re
import time
from unittest import mock

import httpx

from tests.web.conftest import LiveServer


def client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def test_a_link_signs_in_and_leaves_the_token_behind(live_server: LiveServer) -> None:
    with client(live_server) as http:
        response = http.get(live_server.link("m:A3", "/").removeprefix(live_server.url))
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
        http.get(live_server.link("m:A3").removeprefix(live_server.url))
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
        http.get(live_server.link("m:B1").removeprefix(live_server.url))
        foreign = http.get(live_server.link("m:A3").removeprefix(live_server.url))
        assert foreign.status_code == 403
        assert "Đường dẫn đăng nhập này dành cho người khác" in foreign.text
        assert "Nguyễn Văn B1" in http.get("/").text  # still B1


def test_a_link_sends_nowhere_but_this_site(live_server: LiveServer) -> None:
    with client(live_server) as http:
        link = live_server.link("m:A3").removeprefix(live_server.url).split("?")[0]
        response = http.get(link, params={"next": "//evil.example/x"})
        assert response.headers["location"] == "/"
