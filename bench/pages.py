"""PEOPLE simulated people, each with their own session, against a real `kiemdiem serve`
process on SQLite (or PostgreSQL): each signs in from their link, opens Việc của tôi, opens
their self-review form, thinks, submits it, then opens the ballot on a cellmate's review
(the district is prepared with one review per cell at the vote: bench/pages_setup.py)
and votes. Prints n, p50, p99 and max per request kind, throughput and error responses, for
the people alone and again (other people) with the cycle's tick started as they start.

    python bench/pages.py [PEOPLE] [--think 1-5] [--postgres URL] [--members 2000]
                               [--workers N]   # default: as `kiemdiem serve`, one per core

A link opens a page with one button; pressing it (a POST and its redirect) signs in, once:
both are timed as "sign in".

`--think A-B`: each person pauses a uniformly random A to B seconds before each step and
starts at a random moment within the first B seconds (people do not all click at the same
instant); `--think 0` sends every request as soon as the last one is answered, 100 people at
once: the saturation case, whose throughput is what the server can do.

On SQLite a probe beside the load takes the write lock (BEGIN IMMEDIATE) every 20 ms and
reports the longest wait: how long the longest write transaction held it.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import re
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script
from bench.pages_setup import LAUNCHED, Person, prepare, review_form
from kiemdiem.demo.smtp_server import SMTPServerProcess, free_port
from models import load_settings
from states.signin import sign_in_url
from web.serve import default_workers

KIEMDIEM = Path(sys.executable).with_name("kiemdiem")
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
BUTTON = re.compile(r'action="(/signin/[^"]+)">\s*<input[^>]*value="([0-9a-f]+)"')


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


_TLS = ssl.create_default_context()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def _person(
    base: str,
    link: str,
    who: Person,
    form: dict[str, str],
    think: tuple[float, float],
    results: Results,
    rng: random.Random,
) -> None:
    async def pause() -> None:
        if think[1] > 0:
            await asyncio.sleep(rng.uniform(*think))

    # A browser drops an idle connection before uvicorn's 5 s keep-alive ends it; without
    # this a request sent as the server closes the connection fails (httpx.ReadError).
    limits = httpx.Limits(keepalive_expiry=3)
    # One TLS context for every person, as a browser has: httpx makes one per client
    # otherwise (18 ms of CPU each), 100 of them blocking the one event loop that times
    # the requests for 2 s at the start, counted as the first sign-ins' latency.
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits, verify=_TLS) as http:

        async def timed(kind: str, method: str, url: str, expect: int, **kw: object) -> str:
            mark = time.perf_counter()
            response = await http.request(method, url, **kw)  # type: ignore[arg-type]
            results.times.setdefault(kind, []).append(time.perf_counter() - mark)
            if response.status_code != expect:
                results.errors.append(f"{kind} {response.status_code}")
                raise _Stop
            return response.headers.get("location", "") if expect == 303 else response.text

        try:
            if think[1] > 0:
                await asyncio.sleep(rng.uniform(0, think[1]))
            # A link opens a page with one button; pressing it (a POST) signs in, once.
            opened = await timed("sign in", "GET", link, 200)
            button = BUTTON.search(opened)
            if button is None:
                results.errors.append("sign-in page without its button")
                return
            landing = await timed(
                "sign in", "POST", button.group(1), 303, data={"csrf_token": button.group(2)}
            )
            await timed("my tasks", "GET", landing, 200)
            await pause()
            page = await timed("form", "GET", who.review, 200)
            token = TOKEN.search(page)
            if token is None:
                results.errors.append("form without CSRF token")
                return
            await pause()  # writing
            done = await timed(
                "submit", "POST", who.review, 303, data={**form, "csrf_token": token.group(1)}
            )
            await timed("form", "GET", done, 200)
            await pause()
            await timed("ballot", "GET", who.ballot, 200)
            await pause()
            counted = await timed(
                "vote",
                "POST",
                who.ballot,
                303,
                data={"level": "good", "csrf_token": token.group(1)},
            )
            await timed("ballot", "GET", counted, 200)
        except _Stop:
            return
        except httpx.HTTPError as exc:
            results.errors.append(f"{type(exc).__name__}")


class _Stop(Exception):
    pass


async def _crowd(
    base: str, jobs: list[tuple[str, Person]], form: dict[str, str], think: tuple[float, float]
) -> Results:
    # The people are simulated in this one process, and its cyclic collector's full passes
    # (70-150 ms over the crowd's objects) stopped the event loop that times every request:
    # counted as the server's latency. A browser's collector stops nobody else's requests.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return await _timed_crowd(base, jobs, form, think)
    finally:
        gc.enable()
        gc.unfreeze()


async def _timed_crowd(
    base: str, jobs: list[tuple[str, Person]], form: dict[str, str], think: tuple[float, float]
) -> Results:
    results = Results()
    rng = random.Random(8)
    mark = time.perf_counter()
    await asyncio.gather(
        *(
            _person(base, link, who, form, think, results, random.Random(rng.random()))
            for link, who in jobs
        )
    )
    results.seconds = time.perf_counter() - mark
    return results


class LockProbe(threading.Thread):
    """Takes SQLite's write lock every 20 ms and keeps the longest wait for it."""

    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        self.path, self.longest, self.stopped = path, 0.0, threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        while not self.stopped.wait(0.02):
            mark = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.execute("COMMIT")
            self.longest = max(self.longest, time.perf_counter() - mark)
        db.close()


def _table(title: str, results: Results, people: int) -> None:
    print(f"\n{title}")
    print(f"  {'request':<10} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    every: list[float] = []
    for kind, values in results.times.items():
        every += values
        print(
            f"  {kind:<10} {len(values):>5} {statistics.median(values) * 1000:>8.1f} "
            f"{_percentile(values, 0.99) * 1000:>8.1f} {max(values) * 1000:>8.1f}"
        )
    print(
        f"  {'all':<10} {len(every):>5} {statistics.median(every) * 1000:>8.1f} "
        f"{_percentile(every, 0.99) * 1000:>8.1f} {max(every) * 1000:>8.1f}"
    )
    print(
        f"  {people} people in {results.seconds:.1f} s: {len(every) / results.seconds:.1f} "
        f"requests/s; error responses: {len(results.errors)} {sorted(set(results.errors))[:5]}"
    )


def main(
    people: int,
    database_url: str | None,
    think: tuple[float, float],
    members: int,
    workers: int,
) -> None:
    work = Path(tempfile.mkdtemp(prefix="kiemdiem-bench-pages-"))
    port = free_port()
    sqlite_file = work / "bench.db"
    os.environ.update(
        {
            "KIEMDIEM_DATABASE_URL": database_url or f"sqlite:///{sqlite_file}",
            "KIEMDIEM_KEYS_DIR": str(work / "keys"),
            "KIEMDIEM_BASE_URL": f"http://127.0.0.1:{port}",
            "KIEMDIEM_SERVE_PORT": str(port),
            # A day after the launch: the tick sends the day's reminders, opens no new stage.
            "KIEMDIEM_NOW": (LAUNCHED + timedelta(days=1, hours=1)).isoformat(),
            "PREFECT_HOME": str(work / "prefect"),
        }
    )
    settings = load_settings()
    alone_n = 5
    prepared = prepare(work, settings.database_url, 2 * people + alone_n, members)
    form = {"do": "submit", **review_form()}
    jobs = [(sign_in_url(settings, f"m:{p.code}"), p) for p in prepared.people]
    alone_jobs, jobs = jobs[:alone_n], jobs[alone_n:]
    quiet, ticked = jobs[:people], jobs[people:]
    # The launch's 2,000-odd mails are still in the outbox: the tick delivers them (its
    # heaviest part), so `serve` does not deliver meanwhile.
    serve = [str(KIEMDIEM), "serve", "--no-ticks", "--no-mail", "--workers", str(workers)]
    with SMTPServerProcess(work / "smtp.txt") as smtp:
        env = {**os.environ, "KIEMDIEM_SMTP_PORT": str(smtp.port)}
        server = subprocess.Popen(serve, env=env)
        try:
            while True:
                try:
                    httpx.get(settings.base_url + "/signin", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            alone = Results()
            for job in alone_jobs:  # what a request costs the server when nobody waits
                one = asyncio.run(_crowd(settings.base_url, [job], form, (0, 0)))
                for kind, values in one.times.items():
                    alone.times.setdefault(kind, []).extend(values)
                alone.errors += one.errors
                alone.seconds += one.seconds
            load = os.getloadavg()[0]
            without = asyncio.run(_crowd(settings.base_url, quiet, form, think))
            probe = LockProbe(str(sqlite_file)) if database_url is None else None
            if probe:
                probe.start()
            mark = time.perf_counter()
            ticking = subprocess.Popen(
                [str(KIEMDIEM), "cycle", "tick", prepared.cycle],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            with_tick = asyncio.run(_crowd(settings.base_url, ticked, form, think))
            tick_running = ticking.poll() is None
            ticking.wait()
            tick_seconds = time.perf_counter() - mark
            if probe:
                probe.stopped.set()
                probe.join()
        finally:
            server.terminate()
            server.wait(30)
    backend = "PostgreSQL" if database_url else "SQLite"
    processes = f"{workers} kiemdiem serve processes" if workers > 1 else "one kiemdiem serve"
    pace = f"think {think[0]:g}-{think[1]:g} s" if think[1] > 0 else "no think time"
    print(
        f"\n{backend}, {processes}, {prepared.members} members; "
        f"load average {load:.2f} at the start (2 cores)"
    )
    _table(f"one person at a time ({alone_n} people, no think time):", alone, alone_n)
    _table(f"{people} people at once, {pace}:", without, people)
    _table(
        f"{people} other people at once, {pace}, the tick started with them "
        f"(it took {tick_seconds:.1f} s{', past the people' if tick_running else ''}):",
        with_tick,
        people,
    )
    if probe:
        print(
            f"  the longest wait for SQLite's write lock meanwhile: {probe.longest * 1000:.0f} ms"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


def _think(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return (float(low), float(high or low))


if __name__ == "__main__":
    args = sys.argv[1:]

    def option(name: str, default: str) -> str:
        if name in args:
            i = args.index(name)
            value = args[i + 1]
            del args[i : i + 2]
            return value
        return default

    url = option("--postgres", "") or None
    main(
        int(args[0]) if args else 100,
        url,
        _think(option("--think", "1-5")),
        int(option("--members", "2000")),
        # As `kiemdiem serve` runs by default: a page process per core, at most 4.
        int(option("--workers", str(default_workers()))),
    )
