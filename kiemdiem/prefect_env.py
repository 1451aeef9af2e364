"""Settings Prefect must see before it is imported, for the embedded (ephemeral) API."""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def prepare_prefect(home: Path | None = None) -> None:
    """Defaults that make Prefect's ephemeral API work on a bare machine.

    Its first start migrates a fresh SQLite database, which takes ~20 s here: longer than
    the default 20 s startup timeout. Its analytics heartbeat can hit "database is locked".
    Values already set in the environment win, so an operator can point at a real server.
    """
    if home is not None:
        os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def start_embedded_prefect(template: Path | None = None) -> None:
    """Start Prefect's embedded API now (when no PREFECT_API_URL names a server), so the first
    flow finds it running.

    Its first start on a fresh PREFECT_HOME migrates an empty database (~20 s of one core
    here). With `template`, a fresh home starts from that copy of an empty database already
    migrated by this Prefect version, and the first start that had none leaves one there.
    Call it in a thread beside other work, and join that thread before the first flow: Prefect
    marks the server running before it answers, so a flow started meanwhile would not wait."""
    if os.environ.get("PREFECT_API_URL"):
        return
    from prefect.server.api.server import SubprocessASGIServer

    database = Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")) / "prefect.db"
    fresh = not database.exists() and "PREFECT_API_DATABASE_CONNECTION_URL" not in os.environ
    copied = fresh and template is not None and template.exists() and _copied(template, database)
    with _set_unless_set(_DONE_IN_THE_TEMPLATE if copied else {}):
        SubprocessASGIServer().start()
    if fresh and template is not None and not template.exists() and database.exists():
        _keep_template(database, template)


def _copied(template: Path, database: Path) -> bool:
    """Whether `database` now starts as a copy of `template`. A copy that cannot be written
    (a full disk) is taken back: the template only saves time, and the server's own start
    migrates a fresh database instead, meeting the disk itself if it is still full."""
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, database)
    except OSError:
        database.unlink(missing_ok=True)
        return False
    return True


# What the server's start would do again to a copy of the template, which was taken after a
# start of this Prefect version had done it: check every migration, and register every block
# type (at load 8 here: 14-16 s to a started server with them, 7-10 s without; 0.6 s of its
# CPU). Each setting with the older name Prefect also reads: one set by the operator wins.
_DONE_IN_THE_TEMPLATE = {
    ("PREFECT_SERVER_DATABASE_MIGRATE_ON_START", "PREFECT_API_DATABASE_MIGRATE_ON_START"): "false",
    ("PREFECT_SERVER_REGISTER_BLOCKS_ON_START", "PREFECT_API_BLOCKS_REGISTER_ON_START"): "false",
}


@contextmanager
def _set_unless_set(values: dict[tuple[str, str], str]) -> Iterator[None]:
    """Each of `values` in the environment (which the server's process inherits) for the
    block, by its first name, where the environment sets it under neither name."""
    added = {
        names[0]: value
        for names, value in values.items()
        if not any(name in os.environ for name in names)
    }
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def start_embedded_prefect_yielding(niceness: int, template: Path | None = None) -> None:
    """`start_embedded_prefect` from a thread of lower priority, and wait for it: the server
    process inherits that thread's niceness (Linux's is per thread), the caller keeps its own.

    The embedded API takes most of a tick's CPU (on the pages benchmark's district 10 of
    its 15 CPU seconds) and holds none of kiemdiem's database locks, so beside the pages it
    can wait; the flow itself keeps its priority, because a tick process holding SQLite's
    write lock while starved of CPU would keep the pages' writes waiting longer."""
    from models.priority import yield_cpu

    failed: list[BaseException] = []

    def start() -> None:
        try:
            yield_cpu(niceness)
            start_embedded_prefect(template)
        except BaseException as exc:  # raised again in the caller's thread
            failed.append(exc)

    thread = threading.Thread(target=start, name="prefect-start")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]


@contextmanager
def many_runs() -> Iterator[None]:
    """For the flows this process runs itself (the demo's many, a command's one-off tick or
    launch): they share one API client, and on the embedded API they send no heartbeats.

    Each run otherwise opens a client of its own and asks the server its version. A run's
    heartbeat thread sleeps in steps of a second and the run's end waits for it to wake: up
    to a second after every flow (12 s over the demo's 25 runs; a one-off 10,000-unit tick
    took 1.1 s or 2.1 s by where that second fell). Heartbeats let a server notice runs whose
    process died; the embedded server dies with that process, so they tell it nothing. Runs
    against a real server (PREFECT_API_URL) keep them."""
    from prefect.context import SyncClientContext
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    embedded = not os.environ.get("PREFECT_API_URL")
    updates = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None} if embedded else {}
    with (
        temporary_settings(updates=updates),
        SyncClientContext.get_or_create(),
        _no_limits_remembered(embedded),
    ):
        yield


@contextmanager
def _no_limits_remembered(embedded: bool) -> Iterator[None]:
    """On the embedded API, Prefect's client remembers "no concurrency limit on these tags"
    for the whole block instead of 5 s.

    Every task run of a tick asks about its tags (the cycle's and the committee's) unless
    that answer is remembered; the flows ask once before each run (`check_tags_ahead`), when
    the API is idle. A tick that takes longer than 5 s (any tick on a busy machine) made its
    later tasks ask again, mid-run, while the API records the run's states: a write that
    collides with them is answered 503 ("database is locked") and asked again 2 s later.
    The embedded API lives and dies with this process and nothing of kiemdiem's creates
    limits, so the answer cannot change under it; the question before each run is still
    asked afresh. Against a real server (PREFECT_API_URL) the 5 s stand. A Prefect without
    this private cache (an upgrade) only asks more often."""
    try:
        import cachetools
        from prefect.concurrency import services
    except ImportError:
        yield
        return
    held = getattr(services, "_no_limits_cache", None)
    if not embedded or not isinstance(held, cachetools.TTLCache):
        yield
        return
    services._no_limits_cache = cachetools.TTLCache(maxsize=held.maxsize, ttl=24 * 3600)
    try:
        yield
    finally:
        services._no_limits_cache = held


def prefect_template() -> Path:
    """Where an empty, migrated Prefect database of this Prefect version is kept."""
    import prefect

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "kiemdiem" / f"prefect-{prefect.__version__}-empty.db"


def _keep_template(database: Path, template: Path) -> None:
    """A consistent copy of the just-migrated database (SQLite's online backup: the server is
    running), moved into place whole so a half-written template is never used."""
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        partial = template.with_suffix(f".{os.getpid()}.tmp")
        source, copy = sqlite3.connect(database), sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        partial.replace(template)
    except (OSError, sqlite3.Error):  # a cache only: without it the next start migrates again
        pass
