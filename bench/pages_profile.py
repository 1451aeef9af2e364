"""Where one page's time goes: each request kind of the pages benchmark (sign in from a link,
Việc của tôi, the self-review form and its submit, the ballot and its vote), made REPEAT
times against the app of `kiemdiem serve` on the benchmark's SQLite district, each kind timed
(ms of wall and CPU per request) and, with --profile, profiled with pyinstrument.

    python bench/pages_profile.py [--repeat 20] [--profile KIND] [--members 2000]
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script
from bench.pages import BUTTON
from bench.pages_setup import LAUNCHED, prepare, review_form

# Statements sent to the database, counted per request kind (an N+1 shows as a count that
# grows with the district), and their text when --sql names a kind.
STATEMENTS: list[str] = []
LAST: dict[str, list[str]] = {}


def _timed(
    kinds: dict[str, list[tuple[float, float, int]]], kind: str, call: Callable[[], Any]
) -> Any:
    wall, cpu, before = time.perf_counter(), time.process_time(), len(STATEMENTS)
    result = call()
    kinds.setdefault(kind, []).append(
        (time.perf_counter() - wall, time.process_time() - cpu, len(STATEMENTS) - before)
    )
    LAST[kind] = STATEMENTS[before:]
    return result


class _Everything:
    """cProfile with pyinstrument's start/stop/output_text."""

    def __init__(self, profile: Any) -> None:
        self.profile = profile

    def start(self) -> None:
        self.profile.enable()

    def stop(self) -> None:
        self.profile.disable()

    def output_text(self, **_: Any) -> str:
        import io
        import pstats

        out = io.StringIO()
        stats = pstats.Stats(self.profile, stream=out).sort_stats("tottime")
        stats.print_stats(45)
        if os.environ.get("CALLERS"):
            stats.print_callers(os.environ["CALLERS"])
        return out.getvalue()


class _Sync:
    """An AsyncClient called as a plain one, on one loop in this thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, client: Any) -> None:
        self.loop, self.client = loop, client

    def __enter__(self) -> _Sync:
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.run_until_complete(self.client.aclose())

    def get(self, url: str) -> Any:
        return self.loop.run_until_complete(self.client.get(url))

    def post(self, url: str, data: dict[str, str]) -> Any:
        return self.loop.run_until_complete(self.client.post(url, data=data))


def _walk(
    http: _Sync,
    who: Any,
    link: str,
    form: dict[str, str],
    seen: dict[str, list[tuple[float, float, int]]],
    profiler: Any,
    profile: str | None,
) -> None:
    """One person's visit: sign in, Việc của tôi, the form, submit, the ballot, vote."""

    def step(kind: str, call: Callable[[], Any]) -> Any:
        if profiler is not None and profile in (kind, "all"):
            profiler.start()
            try:
                return _timed(seen, kind, call)
            finally:
                profiler.stop()
        return _timed(seen, kind, call)

    # A link opens a page with one button; pressing it (a POST) signs in, once.
    r = step("sign in", lambda: http.get(link))
    assert r.status_code == 200, r.status_code
    button = BUTTON.search(r.text)
    assert button, r.text[-2000:]
    pressed = {"csrf_token": button.group(2)}
    r = step("press", lambda: http.post(button.group(1), data=pressed))
    assert r.status_code == 303, r.status_code
    r = step("my tasks", lambda: http.get(r.headers["location"]))
    assert r.status_code == 200, r.status_code
    r = step("form", lambda: http.get(who.review))
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', r.text)
    assert token, r.text[:400]
    data = {**form, "do": "submit", "csrf_token": token.group(1)}
    r = step("submit", lambda: http.post(who.review, data=data))
    assert r.status_code == 303, (r.status_code, r.text[-2000:])
    r = step("ballot", lambda: http.get(who.ballot))
    assert r.status_code == 200 and 'name="level"' in r.text, r.text[-2000:]
    vote = {"level": "good", "csrf_token": token.group(1)}
    r = step("vote", lambda: http.post(who.ballot, data=vote))
    assert r.status_code == 303, (r.status_code, r.text[-2000:])


def main(repeat: int, profile: str | None, members: int, sql: str | None = None) -> None:
    work = Path(tempfile.mkdtemp(prefix="kiemdiem-profile-pages-"))
    os.environ.update(
        {
            "KIEMDIEM_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
            "KIEMDIEM_KEYS_DIR": str(work / "keys"),
            "KIEMDIEM_BASE_URL": "http://testserver",
            "KIEMDIEM_NOW": (LAUNCHED + timedelta(days=1, hours=1)).isoformat(),
        }
    )
    import anyio.to_thread
    import httpx

    async def inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    # Every sync page and dependency runs here, on the profiled thread (the server runs
    # them in worker threads; what they cost is the same).
    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    from models import load_settings
    from states.signin import sign_in_url
    from web.app import create_app

    settings = load_settings()
    prepared = prepare(work, settings.database_url, repeat + 1, members)
    app = create_app(settings)
    from sqlalchemy import event

    from models import get_engine

    @event.listens_for(get_engine(settings.database_url), "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        STATEMENTS.append(statement)

    form = review_form()
    kinds: dict[str, list[tuple[float, float, int]]] = {}
    profiler = None
    if profile == "all":  # every kind, by function (cProfile: the cost of each)
        import cProfile

        profiler = _Everything(cProfile.Profile())
    elif profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
    loop = asyncio.new_event_loop()
    for n, who in enumerate(prepared.people):
        link = sign_in_url(settings, f"m:{who.code}").removeprefix(settings.base_url)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x")
        with _Sync(loop, client) as http:
            # The first person warms every cache; not counted.
            _walk(
                http,
                who,
                link,
                form,
                {} if n == 0 else kinds,
                None if n == 0 else profiler,
                profile,
            )
    print(f"{len(prepared.people) - 1} people, {prepared.members} members, one at a time:")
    print(f"{'request':<10} {'wall ms':>8} {'cpu ms':>8} {'queries':>8}")
    for kind, values in kinds.items():
        wall = sorted(v[0] for v in values)[len(values) // 2] * 1000
        cpu = sorted(v[1] for v in values)[len(values) // 2] * 1000
        queries = sorted(v[2] for v in values)[len(values) // 2]
        print(f"{kind:<10} {wall:>8.1f} {cpu:>8.1f} {queries:>8}")
    if sql:
        print(f"\nthe statements of the last {sql!r}:")
        for statement in LAST.get(sql, []):
            print("  " + " ".join(statement.split())[:300])
    if profiler is not None:
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    args = sys.argv[1:]

    def option(name: str, default: str | None) -> str | None:
        if name in args:
            i = args.index(name)
            value = args[i + 1]
            del args[i : i + 2]
            return value
        return default

    main(
        int(option("--repeat", "20") or 20),
        option("--profile", None),
        int(option("--members", "2000") or 2000),
        option("--sql", None),
    )
