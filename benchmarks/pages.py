"""100 simulated people, each with their own session, submit their self-reviews at once
against a real `kiemdiem serve` process on SQLite (or PostgreSQL), while the cycle's tick
runs beside them. Prints p50/p99 latency per request kind, throughput and error responses.

    python benchmarks/pages.py [PEOPLE] [--postgres URL]

Each person: opens their sign-in link (a page with one button) and presses it (a POST and
its redirect; both timed as "sign in"), opens their self-review form (GET, the
CSRF token read from it), submits it (POST, then the redirect's GET). The tick is one run
of `kiemdiem cycle tick` started as the people start.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from kiemdiem.demo.generate import generate
from kiemdiem.demo.smtp_server import SMTPServerProcess, free_port
from models import get_engine, init_db, load_settings, session_scope
from models.org_import import import_organizations
from states import launch, load_plan
from states.cycles import begin_tick, get_cycle
from states.rule_set import load_rule_set
from states.signin import sign_in_url

KIEMDIEM = Path(sys.executable).with_name("kiemdiem")
START = date(2026, 11, 23)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def _prepare(work: Path, people: int, database_url: str) -> tuple[str, list[str]]:
    district = generate(work, seed=7, members=max(people * 2, 200), start=START)
    engine = get_engine(database_url)
    init_db(engine)
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=district.organizations_csv,
            members_csv=district.members_csv,
        )
    launched = datetime.combine(START, clock(8), tzinfo=ZONE)
    with session_scope(engine) as session:
        launch(
            session=session,
            plan=load_plan(district.plan_yaml),
            now=launched,
            settings=load_settings(),
        )
    from states import advance

    with session_scope(engine) as session:
        cycle = get_cycle(session, district.cycle_code)
        begin_tick(session, cycle, launched)
        advance(session=session, cycle=cycle, now=launched)
    import csv

    with district.members_csv.open(encoding="utf-8") as f:
        codes = [row["code"] for row in csv.DictReader(f) if not row.get("leads")]
    return district.cycle_code, codes[:people]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _person(
    base: str,
    link: str,
    page: str,
    form: dict[str, str],
    times: dict[str, list[float]],
    errors: list[str],
) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def timed(kind: str, method: str, url: str, **kw: object) -> httpx.Response:
            mark = time.perf_counter()
            response = await http.request(method, url, **kw)  # type: ignore[arg-type]
            times.setdefault(kind, []).append(time.perf_counter() - mark)
            if response.status_code >= 400:
                errors.append(f"{kind} {response.status_code}")
            return response

        # A link opens a page with one button; pressing it (a POST) signs in, once.
        opened = await timed("sign in", "GET", link)
        button = re.search(
            r'action="(/signin/[^"]+)">\s*<input[^>]*value="([0-9a-f]+)"', opened.text
        )
        if button is None:
            errors.append("sign-in page without its button")
            return
        await timed("sign in", "POST", button.group(1), data={"csrf_token": button.group(2)})
        shown = await timed("form", "GET", page)
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', shown.text)
        if token is None:
            errors.append("form without CSRF token")
            return
        done = await timed("submit", "POST", page, data={**form, "csrf_token": token.group(1)})
        if done.status_code != 303:
            errors.append(f"submit answered {done.status_code}")


async def _crowd(
    base: str, jobs: list[tuple[str, str]], form: dict[str, str]
) -> tuple[dict[str, list[float]], list[str], float]:
    times: dict[str, list[float]] = {}
    errors: list[str] = []
    mark = time.perf_counter()
    await asyncio.gather(*(_person(base, link, page, form, times, errors) for link, page in jobs))
    return times, errors, time.perf_counter() - mark


def main(people: int, database_url: str | None) -> None:
    work = Path(tempfile.mkdtemp(prefix="kiemdiem-bench-pages-"))
    port = free_port()
    now = datetime.combine(START + timedelta(days=1), clock(9), tzinfo=ZONE)
    os.environ.update(
        {
            "KIEMDIEM_DATABASE_URL": database_url or f"sqlite:///{work / 'bench.db'}",
            "KIEMDIEM_KEYS_DIR": str(work / "keys"),
            "KIEMDIEM_BASE_URL": f"http://127.0.0.1:{port}",
            "KIEMDIEM_SERVE_PORT": str(port),
            "KIEMDIEM_NOW": now.isoformat(),
            "PREFECT_HOME": str(work / "prefect"),
        }
    )
    settings = load_settings()
    cycle, codes = _prepare(work, people + 10, settings.database_url)
    rules = load_rule_set("qd366-2025")
    form = {
        "do": "submit",
        "level": "good",
        "score": "80",
        **{f"criteria.{i}": "Hoàn thành nhiệm vụ được giao." for i in range(len(rules.criteria))},
        "strengths": "Chủ động, trách nhiệm.",
    }
    jobs = [
        (
            sign_in_url(settings, f"m:{code}"),
            f"/cycles/{cycle}/units/M%3A{code}/self-review",
        )
        for code in codes
    ]
    with SMTPServerProcess(work / "smtp.txt") as smtp:
        env = {**os.environ, "KIEMDIEM_SMTP_PORT": str(smtp.port)}
        server = subprocess.Popen([str(KIEMDIEM), "serve", "--no-ticks"], env=env)
        try:
            while True:
                try:
                    httpx.get(settings.base_url + "/signin", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            ticking = subprocess.Popen(
                [str(KIEMDIEM), "cycle", "tick", cycle], env=env, stdout=subprocess.DEVNULL
            )
            # One person at a time first: what a request costs the server when nobody waits.
            alone, _, _ = asyncio.run(_crowd(settings.base_url, jobs[:1], form))
            for job in jobs[1:10]:
                more, _, _ = asyncio.run(_crowd(settings.base_url, [job], form))
                for kind, values in more.items():
                    alone.setdefault(kind, []).extend(values)
            jobs = jobs[10:]
            times, errors, seconds = asyncio.run(_crowd(settings.base_url, jobs, form))
            tick_still_running = ticking.poll() is None
            ticking.wait()
        finally:
            server.terminate()
            server.wait(20)
    backend = "PostgreSQL" if database_url else "SQLite"
    print("\none person at a time (10 people, each sign in, form, submit):")
    for kind, values in alone.items():
        print(f"  {kind:<10} p50 {statistics.median(values) * 1000:.1f} ms")
    people = len(jobs)
    print(
        f"\n{people} people, {backend}, one kiemdiem serve process; the tick "
        f"{'ran through the whole load' if tick_still_running else 'ran beside the start'}"
    )
    print(f"{'request':<10} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    every: list[float] = []
    for kind, values in times.items():
        every += values
        print(
            f"{kind:<10} {len(values):>5} {statistics.median(values) * 1000:>8.1f} "
            f"{_percentile(values, 0.99) * 1000:>8.1f} {max(values) * 1000:>8.1f}"
        )
    print(
        f"{'all':<10} {len(every):>5} {statistics.median(every) * 1000:>8.1f} "
        f"{_percentile(every, 0.99) * 1000:>8.1f} {max(every) * 1000:>8.1f}"
    )
    print(
        f"throughput {len(every) / seconds:.0f} requests/s, {people / seconds:.1f} "
        f"self-reviews/s; error responses: {len(errors)} {sorted(set(errors))[:5]}"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    url = None
    if "--postgres" in args:
        i = args.index("--postgres")
        url = args[i + 1]
        del args[i : i + 2]
    main(int(args[0]) if args else 100, url)
