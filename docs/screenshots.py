"""Screenshots of the pages, Vietnamese and English, on a phone-sized Chromium.

    .venv/bin/python docs/screenshots.py [OUT_DIR [NAME ...]]   # default docs/screenshots, all

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
from tests.factories import MEMBER_HEADER, MEMBERS, ORG_HEADER, ORGS, write_csv  # noqa: E402
from tests.states.helpers import launch_cycle, local, tick  # noqa: E402
from tests.web.conftest import CHROMIUM, free_port  # noqa: E402
from tests.web.signing import open_link  # noqa: E402

SELF_REVIEW = "/cycles/TT-2026/units/M%3AA3/self-review"
UNITS = "/cycles/TT-2026/units"


def _refused_submit(page: Any) -> None:
    page.fill("#criteria\\.0", "Hoàn thành tốt nhiệm vụ chuyên môn được giao.")
    page.fill("#score", "85")
    page.select_option("#level", "excellent")
    with page.expect_navigation():
        page.click("button[value=submit]")


def _lower_with_reason(page: Any) -> None:
    page.select_option("select[name='level.M:B1']", "good")
    page.fill("#reason", "Chưa có sản phẩm vượt trội so với đồng chí cùng vị trí.")
    page.wait_for_selector("#rules-ok")


# name -> (person key or None, path, what to do on the page before the shot)
SHOTS: dict[str, tuple[str | None, str, Callable[[Any], None] | None]] = {
    "signin": (None, "/signin", None),
    # A mail's link as opened (its one button), and the same link once used, in another browser.
    "signin-link": ("m:A3", "/", None),
    "link-used": ("m:A3", "/", None),
    "my-tasks": ("m:B2", "/", None),
    "suggestions-list": ("m:B2", "/cycles/TT-2026/suggestions/G2", None),
    "self-review": ("m:A3", SELF_REVIEW, None),
    "self-review-refused": ("m:A3", SELF_REVIEW, _refused_submit),
    "link-not-valid": (None, "/signin/not-a-real-token", None),
    "forbidden": ("m:B3", SELF_REVIEW, None),
    "meeting": ("m:B1", f"{UNITS}/M%3AB3/meeting", None),
    "ballot": ("m:B4", f"{UNITS}/M%3AB3/ballot", None),
    "ballot-counted": ("m:B2", f"{UNITS}/M%3AB3/ballot", None),
    "approval-cap": ("m:B2", "/cycles/TT-2026/approval/G2", None),
    "approval-lowered": ("m:B2", "/cycles/TT-2026/approval/G2", _lower_with_reason),
    "dashboard": ("m:B4", "/cycles/TT-2026", None),
    "unit-history": ("m:B4", f"{UNITS}/M%3AB3", None),
    "remediation": ("m:B4", "/cycles/TT-2026/remediation", None),
    "suggestion": ("m:B2", f"{UNITS}/M%3AE1/suggestions", None),
    # A2 lives in C2's area: C2's head gives the residence cell's opinion on A2's review.
    "opinion": ("m:B1", f"{UNITS}/M%3AA2/opinions", None),
    "opinions-list": ("m:B1", "/cycles/TT-2026/opinions", None),
    "office": ("o:D", "/office", None),
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
    orgs = write_csv(WORK / "organizations.csv", ORG_HEADER, ORGS)
    residents = [{**m, "residence": "C2" if m["code"] == "A2" else ""} for m in MEMBERS]
    members = write_csv(WORK / "members.csv", [*MEMBER_HEADER, "residence"], residents)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs, members_csv=members)
    launch_cycle(engine, WORK, local("2026-11-16 08:00"))
    tick(engine, local("2026-11-16 08:00"))
    _later_stages(engine)


def _later_stages(engine: Any) -> None:
    """G2's units further on, for the process pages: B3's meeting with one ballot cast, two
    members awaiting G2's decision (one excellent over the cap), a shortcoming to remedy."""
    from sqlmodel import select

    from models import Level, Member, Shortcoming, Unit
    from states import submit_self_review, vote
    from states.views import open_vote, record_comment
    from tests.states.helpers import act, place, review_form

    now = local("2026-11-17 09:00")
    for unit, writer in (("O:C1", "A1"), ("M:A2", "A2")):
        act(engine, submit_self_review, unit_code=unit, actor_code=writer, now=now, **review_form())
    tick(engine, now)  # A2 in peer review: C2's head is asked for the residence cell's opinion
    for collective in ("O:C2", "O:C3"):
        place(engine, collective, "published", proposed_level=Level.GOOD, final_level=Level.GOOD)
    act(engine, submit_self_review, unit_code="M:B3", actor_code="B3", now=now, **review_form())
    act(
        engine,
        record_comment,
        unit_code="M:B3",
        actor_code="B1",
        speaker_code="B2",
        now=now,
        text="Đồng chí cần chủ động hơn trong việc đề xuất giải pháp.",
    )
    act(engine, open_vote, unit_codes=["M:B3"], actor_code="B1", now=now)
    act(engine, vote, ballots={"M:B3": Level.GOOD}, actor_code="B2", now=now)
    place(engine, "M:B1", "approval", proposed_level=Level.EXCELLENT, score=95)
    place(engine, "M:E2", "approval", proposed_level=Level.GOOD, score=80)
    with session_scope(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:B4")).one()
        owner = session.exec(select(Member).where(Member.code == "B4")).one()
        session.add(
            Shortcoming(
                cycle_id=unit.cycle_id,
                unit_id=unit.id,
                unit_code=unit.code,
                source="conclusion",
                text="Chưa kiểm tra, đôn đốc thường xuyên việc thực hiện nghị quyết.",
                owner_id=owner.id,
                recorded_at=now,
            )
        )


def main(out: Path, only: list[str] | None = None) -> None:
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
                if only and name not in only:
                    continue
                context = browser.new_context(viewport={"width": 390, "height": 844})
                context.add_cookies([{"name": "kd_lang", "value": lang, "url": settings.base_url}])
                page = context.new_page()
                link = sign_in_url(settings, who, path) if who else ""
                if name == "signin-link":
                    page.goto(link)
                elif name == "link-used":
                    first = browser.new_context()
                    open_link(first.new_page(), link)
                    first.close()
                    page.goto(link)
                elif who:
                    open_link(page, link)
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
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots",
        sys.argv[2:] or None,
    )
