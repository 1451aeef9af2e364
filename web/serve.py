"""`kiemdiem serve`: the pages, each cycle's morning tick, and the outbox, in one process.

- The pages: uvicorn on `KIEMDIEM_SERVE_HOST`:`KIEMDIEM_SERVE_PORT` (behind a proxy, it
  trusts the proxy's X-Forwarded-Proto, so cookies are Secure over https).
- The ticks: a thread that, once a minute, runs the `review-cycle` flow for every running
  cycle whose last tick was before this morning's `KIEMDIEM_TICK_HOUR` (local time in
  `KIEMDIEM_TICK_TIMEZONE`, Asia/Ho_Chi_Minh). Prefect's API is embedded (ephemeral) unless
  PREFECT_API_URL names a server, whose UI then shows the runs.
- The outbox: a thread that delivers due mail every `interval` seconds, so a fresh sign-in
  link asked for on a page leaves at once, not at the next morning's tick.
- The handoff (web/handoff.py, with the ticks): Prefect started once, a heartbeat, and the
  `cycle tick` / `cycle launch` runs a command hands to this process instead of starting
  Prefect itself.

Every part is safe to run in several processes on one database (ticks are idempotent and
read what was already ticked; outbox rows are claimed): `--no-ticks --no-mail` makes a
process that only serves pages. `--workers N` serves the pages from N processes on one port,
the loops in the first.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from collections.abc import Sequence

import uvicorn
from fastapi import FastAPI
from sqlmodel import Session
from uvicorn.supervisors import Multiprocess

from models import OutboxMessage, get_engine, init_db, resolve_now, session_scope
from models.settings import Settings, load_settings
from notifications import deliver
from states.recipients import readdress
from states.schedule import cycles_due
from states.signin import personalize, signing_key
from web.app import create_app
from web.handoff import Handoff

log = logging.getLogger("kiemdiem.serve")


def deliver_now(settings: Settings) -> int:
    """Send the due outbox once, links signed for their recipients; how many were sent."""

    def sign(session: Session, rows: Sequence[OutboxMessage]) -> dict[int, tuple[str, str]]:
        return personalize(session, rows, settings)

    report = deliver(
        get_engine(settings.database_url),
        settings,
        now=resolve_now(),
        readdress=readdress,
        personalize=sign,
    )
    return report.sent


def tick_due_cycles(settings: Settings) -> list[str]:
    """Run the morning tick of every cycle due for one; the codes ticked."""
    with session_scope(get_engine(settings.database_url)) as session:
        due = cycles_due(
            session, resolve_now(), hour=settings.tick_hour, zone=settings.tick_timezone
        )
    if not due:
        return []
    from flows import tick_here

    for code in due:
        tick_here(code, now=resolve_now().isoformat(), database_url=settings.database_url)
        log.warning("morning tick of %s done", code)
    return due


class Loop(threading.Thread):
    """Call `work` every `interval` seconds until stopped; a failure is logged, not fatal."""

    def __init__(self, name: str, interval: float, work: object) -> None:
        super().__init__(name=name, daemon=True)
        self.interval, self.work = interval, work
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.work()  # type: ignore[operator]
            except Exception:  # the loop must outlive a bad minute (SMTP down, a lock)
                log.exception("%s failed; trying again in %s s", self.name, self.interval)
            self.stopped.wait(self.interval)


def served_settings(settings: Settings) -> Settings:
    """`settings` with the links in mail pointing at these pages: KIEMDIEM_BASE_URL when the
    office set it (a proxy, https), else the host and port served here."""
    if "base_url" in settings.model_fields_set:
        return settings
    url = f"http://{settings.serve_host}:{settings.serve_port}"
    return settings.model_copy(update={"base_url": url})


def default_workers() -> int:
    """One page process per core, at most 4: one process's threads share one GIL, and on the
    pages benchmark (100 people, the tick beside them, 2 cores) one process's p99 went past
    100 ms in most runs, two stayed under it in every run (docs/benchmarks.md)."""
    return max(1, min(os.cpu_count() or 1, 4))


def served_app() -> FastAPI:
    """The pages of one worker process of `serve --workers N` (uvicorn imports this in each,
    with the settings of the environment `serve` set up for them)."""
    app = create_app(served_settings(load_settings()))
    quiet_collector()
    return app


def quiet_collector() -> None:
    """Freeze what a started process holds (the modules, classes and functions of Python,
    FastAPI, SQLAlchemy and kiemdiem: a few hundred thousand objects that live as long as the
    process) out of the cyclic collector. Its full passes walked all of it, about 60 ms each on
    the pages benchmark's district with every thread stopped: the longest waits a page had.
    What the pages make later is collected as before."""
    gc.collect()
    gc.freeze()


def serve(
    settings: Settings,
    *,
    ticks: bool = True,
    mail: bool = True,
    mail_interval: float = 30.0,
    ready: threading.Event | None = None,
    workers: int = 1,
) -> None:
    """Serve the pages until interrupted, with the tick and outbox loops beside them.

    `workers` > 1 serves the pages from that many processes on one port (uvicorn's
    supervisor shares the socket), so a request uses whichever core is free instead of one
    process's GIL; the tick and outbox loops stay in this process only."""
    settings = served_settings(settings)
    init_db(get_engine(settings.database_url))
    if workers > 1:
        # The workers read their settings from the environment: the host and port chosen
        # here, and the key made here once, before they race to make it.
        os.environ["KIEMDIEM_SERVE_HOST"] = settings.serve_host
        os.environ["KIEMDIEM_SERVE_PORT"] = str(settings.serve_port)
        os.environ.setdefault("KIEMDIEM_BASE_URL", settings.base_url)
        signing_key(settings)
    loops: list[Loop | Handoff] = []
    if ticks:
        from kiemdiem.prefect_env import prepare_prefect

        prepare_prefect()
        handoff = Handoff(settings)

        def morning_tick() -> None:
            # After the handoff's Prefect start, never beside it: two threads starting the
            # embedded API at once leave one of them without it (and commands unhanded).
            handoff.warmed.wait()
            tick_due_cycles(settings)

        loops.append(Loop("morning-tick", 60.0, morning_tick))
        loops.append(handoff)
    if mail:
        loops.append(Loop("outbox", mail_interval, lambda: deliver_now(settings)))
    for loop in loops:
        loop.start()
    config = uvicorn.Config(
        "web.serve:served_app" if workers > 1 else create_app(settings),
        factory=workers > 1,
        workers=workers,
        host=settings.serve_host,
        port=settings.serve_port,
        proxy_headers=True,
        forwarded_allow_ips=None,  # FORWARDED_ALLOW_IPS, else 127.0.0.1 only
        lifespan="off",
        log_level="warning",
    )
    if workers > 1:
        try:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        finally:
            _stop(loops)
        return
    server = uvicorn.Server(config)
    quiet_collector()
    if ready is not None:
        threading.Thread(target=_signal_ready, args=(server, ready), daemon=True).start()
    _stop_cleanly_on_sigterm()
    try:
        server.run()
    finally:
        _stop(loops)


def _stop(loops: Sequence[Loop | Handoff]) -> None:
    """End the loops beside the pages; the handoff's also removes its wake-up socket."""
    for loop in loops:
        if isinstance(loop, Handoff):
            loop.stop()
        else:
            loop.stopped.set()


def _stop_cleanly_on_sigterm() -> None:
    """Make SIGTERM end serve like Ctrl-C: uvicorn re-raises the signal once it has stopped,
    and the default action would kill the process before its `finally` and atexit run, leaving
    the embedded Prefect server it started behind as an orphan and its heartbeat in place."""
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


def _signal_ready(server: uvicorn.Server, ready: threading.Event) -> None:
    while not server.started and not server.should_exit:
        threading.Event().wait(0.05)
    ready.set()


__all__ = ["deliver_now", "serve", "served_app", "tick_due_cycles"]
