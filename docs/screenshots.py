"""Screenshots of the pages, Vietnamese and English, on a phone-sized Chromium.

    .venv/bin/python docs/screenshots.py [OUT_DIR]     # default docs/screenshots

Builds the tests' small district in a temporary directory (cycle TT-2026 launched, every unit
in self-review), serves the pages on it with uvicorn and drives Debian's /usr/bin/chromium
with Playwright, as the browser tests do. Each shot is `<lang>-<page>.png`; add a page to
SHOTS to have it taken.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiemdiem.prefect_env import prepare_prefect  # noqa: E402

WORK = Path(tempfile.mkdtemp(prefix="kiemdiem-shots-"))
prepare_prefect(home=WORK / "prefect")

import uvicorn  # noqa: E402

from models import get_engine, init_db, load_settings, session_scope  # noqa: E402
from models.org_import import import_organizations  # noqa: E402
from states.signin import sign_in_url  # noqa: E402
from tests.factories import write_district  # noqa: E402
from tests.states.helpers import launch_cycle, local, tick  # noqa: E402
from tests.web.conftest import CHROMIUM, free_port  # noqa: E402

SELF_REVIEW = "/cycles/TT-2026/units/M%3AA3/self-review"


def _refused_submit(page: Any) -> None:
    page.fill("#criteria\\.0", "Hoàn thành tốt nhiệm vụ chuyên môn được giao.")
    page.fill("#score", "85")
    page.select_option("#level", "excellent")
    with page.expect_navigation():
        page.click("button[value=submit]")


# name -> (person key or None, path, what to do on the page before the shot)
SHOTS: dict[str, tuple[str | None, str, Callable[[Any], None] | None]] = {
    "signin": (None, "/signin", None),
    "my-tasks": ("m:A1", "/", None),
    "self-review": ("m:A3", SELF_REVIEW, None),
    "self-review-refused": ("m:A3", SELF_REVIEW, _refused_submit),
    "link-not-valid": (None, "/signin/not-a-real-token", None),
    "forbidden": ("m:B3", SELF_REVIEW, None),
}


def _district() -> None:
    os.environ.update(
        {
            "KIEMDIEM_DATABASE_URL": f"sqlite:///{WORK / 'pages.db'}",
            "KIEMDIEM_KEYS_DIR": str(WORK / "keys"),
            "KIEMDIEM_NOW": local("2026-11-17 09:00").isoformat(),
        }
    )
    engine = get_engine()
    init_db(engine)
    orgs, members = write_district(WORK)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs, members_csv=members)
    launch_cycle(engine, WORK, local("2026-11-16 08:00"))
    tick(engine, local("2026-11-16 08:00"))


def main(out: Path) -> None:
    port = free_port()
    os.environ["KIEMDIEM_BASE_URL"] = f"http://127.0.0.1:{port}"
    _district()
    from web.app import create_app

    settings = load_settings()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), port=port, log_level="warning", lifespan="off")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for lang in ("vi", "en"):
            for name, (who, path, act) in SHOTS.items():
                context = browser.new_context(viewport={"width": 390, "height": 844})
                context.add_cookies([{"name": "kd_lang", "value": lang, "url": settings.base_url}])
                page = context.new_page()
                if who:
                    page.goto(sign_in_url(settings, who, path))
                else:
                    page.goto(settings.base_url + path)
                if act:
                    act(page)
                target = out / f"{lang}-{name}.png"
                page.screenshot(path=str(target), full_page=True)
                print(target)
                context.close()
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
