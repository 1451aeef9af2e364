"""`kiemdiem serve --workers 2`: the pages from two processes on one port and one SQLite file;
a session made by one process is good in the other, and a form posted to either is taken."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import Unit
from states.signin import sign_in_url
from tests.states.helpers import CYCLE
from tests.web.serving import wait_until_serving
from tests.web.signing import press_sign_in
from tests.web.test_identity import csrf_of

KIEMDIEM = Path(sys.executable).with_name("kiemdiem")


def _children(pid: int) -> set[int]:
    """The worker processes `pid` started."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            command = (entry / "cmdline").read_bytes() if int(fields[1]) == pid else b""
            if b"spawn_main" in command:  # a worker, not multiprocessing's resource tracker
                found.add(int(entry.name))
    return found


@pytest.fixture
def two_workers(web_district: Engine, web_env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [str(KIEMDIEM), "serve", "--no-ticks", "--no-mail", "--workers", "2"],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = web_env["KIEMDIEM_BASE_URL"]
    wait_until_serving(process, url, 90)
    yield process
    process.send_signal(signal.SIGINT)
    process.wait(30)


def test_two_worker_processes_serve_one_session_and_take_its_forms(
    two_workers: subprocess.Popen[bytes], web_district: Engine, web_env: dict[str, str]
) -> None:
    url = web_env["KIEMDIEM_BASE_URL"]
    assert len(_children(two_workers.pid)) == 2
    from models import load_settings

    link = sign_in_url(load_settings(), "m:A3")
    page = f"/cycles/{CYCLE}/units/M%3AA3/self-review"
    # A new connection per request: the kernel hands each to either worker.
    with httpx.Client(base_url=url, timeout=20, follow_redirects=True) as http:
        assert press_sign_in(http, link).status_code == 200  # the button's POST, redirected
        cookies = http.cookies
    for _ in range(12):
        with httpx.Client(base_url=url, timeout=20, cookies=cookies) as http:
            shown = http.get(page)
            assert shown.status_code == 200 and "Nguyễn Văn A3" in shown.text
    with httpx.Client(base_url=url, timeout=20, cookies=cookies) as http:
        token = csrf_of(http.get(page).text)
        saved = http.post(page, data={"csrf_token": token, "do": "draft", "strengths": "Tốt"})
        assert saved.status_code == 303
    with Session(web_district) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        assert unit.state == "self_review"  # a draft moves nothing
    with httpx.Client(base_url=url, timeout=20, cookies=cookies) as http:
        assert "Tốt" in http.get(page).text  # the draft, whichever worker answers
