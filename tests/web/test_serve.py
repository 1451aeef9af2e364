"""`kiemdiem serve` as an office runs it: a real process serving the pages and delivering the
outbox; a fresh sign-in link asked for by e-mail arrives at a real SMTP server and signs in.
The answer is the same for an unknown address, and the requests are rate-limited."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from kiemdiem.demo.smtp_server import LocalSMTPServer
from tests.web.mail import links_in, text_of
from tests.web.serving import wait_until_serving
from tests.web.signing import press_sign_in
from tests.web.test_identity import csrf_of

KIEMDIEM = Path(sys.executable).with_name("kiemdiem")


@pytest.fixture
def served(
    web_district: Engine, web_env: dict[str, str], smtp_server: LocalSMTPServer
) -> Iterator[str]:
    env = {
        **os.environ,
        "KIEMDIEM_SMTP_PORT": str(smtp_server.port),
        "KIEMDIEM_SIGNIN_REQUESTS_PER_HOUR": "2",
    }
    process = subprocess.Popen(
        [str(KIEMDIEM), "serve", "--no-ticks", "--mail-every", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = web_env["KIEMDIEM_BASE_URL"]
    wait_until_serving(process, url, 60)
    yield url
    process.terminate()
    process.wait(20)


def _ask(http: httpx.Client, email: str) -> httpx.Response:
    token = csrf_of(http.get("/signin").text)
    return http.post("/signin", data={"csrf_token": token, "email": email})


def test_a_fresh_link_by_mail_signs_in_and_says_nothing_of_who_is_known(
    served: str, smtp_server: LocalSMTPServer
) -> None:
    with httpx.Client(base_url=served, timeout=10, follow_redirects=True) as http:
        known = _ask(http, "A3@example.vn")
        unknown = _ask(http, "nobody@example.vn")
        assert known.status_code == unknown.status_code == 200
        assert known.text == unknown.text
    deadline = time.monotonic() + 20
    while not smtp_server.handler.to("A3@example.vn") and time.monotonic() < deadline:
        time.sleep(0.2)
    (mail,) = smtp_server.handler.to("A3@example.vn")
    assert smtp_server.handler.to("nobody@example.vn") == []
    (link,) = links_in(text_of(mail), served)
    assert link.startswith(served + "/signin/")
    with httpx.Client(base_url=served, timeout=10, follow_redirects=True) as http:
        press_sign_in(http, link.removeprefix(served))
        assert "Nguyễn Văn A3" in http.get("/").text


def test_fresh_links_are_rate_limited_in_the_database(served: str) -> None:
    for _ in range(2):
        with httpx.Client(base_url=served, timeout=10, follow_redirects=True) as http:
            assert _ask(http, "a3@example.vn").status_code == 200
    with httpx.Client(base_url=served, timeout=10, follow_redirects=True) as http:
        limited = _ask(http, "a3@example.vn")
        assert limited.status_code == 429
        # Another process on the same database counts the same requests.
        from sqlmodel import Session, func, select

        from models import get_engine
        from models.signin import SigninRequest

        with Session(get_engine()) as session:
            assert session.exec(select(func.count()).select_from(SigninRequest)).one() == 2
        assert "Traceback" not in limited.text
