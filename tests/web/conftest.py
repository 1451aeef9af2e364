"""The pages served for real: uvicorn on a free port over a real SQLite file, and a real
headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Fixtures for every page test (the webpages branch reuses them):
- `web_district`: the factories' district imported into a SQLite file, the cycle TT-2026
  launched and ticked on 16 Nov 2026 (every unit in self-review); KIEMDIEM_* set for it.
- `live_server`: the app on that database; `.url`, `.settings`, `.link(person_key, path)` (a
  ready sign-in link), `.engine`.
- `browser` (one per session) and `page` (a fresh context per test: no cookies shared).
- `signed_in(page, live_server, "m:A3")`: a page already signed in as that person (it opens
  the link and presses its button).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.engine import Engine

from models import get_engine, init_db, load_settings, session_scope
from models.org_import import import_organizations
from models.settings import Settings
from states.signin import sign_in_url
from tests.conftest import copy_schema
from tests.factories import write_district
from tests.states.helpers import launch_cycle, local, tick

CHROMIUM = "/usr/bin/chromium"
# Launched before the pilots' reminders: every unit is in self-review on 16 Nov.
LAUNCHED = local("2026-11-16 08:00")
NOW = local("2026-11-17 09:00")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    settings: Settings
    engine: Engine

    def link(self, person_key: str, path: str = "/") -> str:
        return sign_in_url(self.settings, person_key, path)


@pytest.fixture
def web_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """KIEMDIEM_* for a page test: its own SQLite file, keys and clock; base URL on a free
    port the server will take."""
    port = free_port()
    env = {
        "KIEMDIEM_DATABASE_URL": f"sqlite:///{tmp_path / 'pages.db'}",
        "KIEMDIEM_KEYS_DIR": str(tmp_path / "keys"),
        "KIEMDIEM_BASE_URL": f"http://127.0.0.1:{port}",
        "KIEMDIEM_NOW": NOW.isoformat(),
        "KIEMDIEM_SERVE_PORT": str(port),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def web_district(web_env: dict[str, str], tmp_path: Path, sqlite_schema: Path) -> Engine:
    copy_schema(sqlite_schema, web_env["KIEMDIEM_DATABASE_URL"])
    engine = get_engine(web_env["KIEMDIEM_DATABASE_URL"])
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch_cycle(engine, tmp_path, LAUNCHED)
    tick(engine, LAUNCHED)
    return engine


@pytest.fixture
def live_server(web_district: Engine) -> Iterator[LiveServer]:
    from web.app import create_app

    settings = load_settings()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=settings.serve_port,
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield LiveServer(settings.base_url, settings, web_district)
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def signed_in() -> Callable[..., Any]:
    def sign_in(page: Any, server: LiveServer, person_key: str, path: str = "/") -> Any:
        page.goto(server.link(person_key, path))
        # A link opens a page with one button (single-use links; scanners only GET).
        page.get_by_role("button", name=re.compile("^(Đăng nhập|Sign in)$")).click()
        page.wait_for_load_state()
        return page

    return sign_in


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "page" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
