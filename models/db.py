"""Engines and sessions: a SQLite file by default, PostgreSQL when the URL says so."""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session, create_engine

import models.cycle
import models.handoff
import models.organization
import models.outbox
import models.remediation
import models.signin  # noqa: F401  (registers the tables on SQLModel.metadata)
from models.errors import ConfigError, StorageFailed
from models.migrate import upgrade
from models.settings import load_settings
from vocabulary import _

# What the drivers say when the storage itself refuses a write (SQLite, PostgreSQL, the OS).
_STORAGE_REFUSALS = (
    "database or disk is full",
    "disk i/o error",
    "readonly database",
    "read-only file system",
    "read-only transaction",
    "unable to open database file",
    "no space left on device",
    "could not extend file",
    "could not write",
    "disk quota exceeded",
    "file too large",
)


class WriterLock:
    """One writing transaction at a time per SQLite file, the others waiting in line for it
    here rather than in SQLite's busy handler.

    SQLite lets one connection write at a time; the others wait in its busy handler, which
    polls with sleeps growing to 100 ms and serves nobody in order: with 40 page threads
    writing, one of them could wait many seconds while others kept getting the lock (the
    pages benchmark's p99 of 12 s on a submit). Here a transaction takes this lock at its
    first write and gives it back when it ends: the threads of a process queue on a thread
    lock and wake the moment it is free, and the processes on the file (`serve --workers`,
    a `cycle tick` beside `serve`) on an flock of `<database>-writer` beside it, polled
    every millisecond. A wait longer than the busy timeout goes on without the lock, to let
    SQLite decide as before, never to hang; a process that dies gives its flock back.
    """

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "ALTER", "DROP")

    def __init__(self, timeout: float, lock_file: Path | None) -> None:
        self._lock = threading.Lock()
        self.timeout = timeout
        self.lock_file = lock_file
        self._fd: int | None = None

    def locked(self) -> bool:
        return self._lock.locked()

    def attach(self, engine: Engine) -> None:
        _WRITER_LOCKS[engine] = self
        event.listen(engine, "before_cursor_execute", self._before_execute)
        for name in ("commit", "rollback"):
            event.listen(engine, name, self._release)
        # A connection given back to the pool without a commit or a rollback of its own.
        event.listen(engine.pool, "reset", self._on_reset)
        event.listen(engine.pool, "checkin", self._on_checkin)

    def _take(self) -> int:
        """0: no lock (waited too long); 1: this process's; 2: also the file's."""
        deadline = time.monotonic() + self.timeout
        if not self._lock.acquire(timeout=self.timeout):
            return 0
        if self.lock_file is None:
            return 1
        try:
            if self._fd is None:
                self._fd = os.open(self.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
            while True:
                try:
                    fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return 2
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        return 1
                    time.sleep(0.001)
        except OSError:  # no lock file here (a read-only directory): SQLite alone decides
            return 1

    def _give(self, taken: int) -> None:
        if taken == 2 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        if taken:
            self._lock.release()

    def _before_execute(self, conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "kd_writing" in conn.info or not statement.lstrip()[:7].upper().startswith(self.WRITES):
            return
        conn.info["kd_writing"] = self._take()

    def _release(self, conn: Any) -> None:
        self._give(conn.info.pop("kd_writing", 0))

    def _on_reset(self, dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
        self._on_checkin(dbapi_connection, connection_record)

    def _on_checkin(self, dbapi_connection: Any, connection_record: Any) -> None:
        if connection_record is not None:
            self._give(connection_record.info.pop("kd_writing", 0))


BUSY_TIMEOUT_MS = 30000
_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()


def writer_lock(engine: Engine) -> WriterLock | None:
    """The in-process write lock of a SQLite engine (None on PostgreSQL)."""
    return _WRITER_LOCKS.get(engine)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets a reader (status) run beside a tick; NORMAL sync keeps one commit per mail cheap;
    # the busy timeout makes concurrent writers wait instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url`, or for KIEMDIEM_DATABASE_URL as it is now; one per database."""
    return _engine(_normalize(url or load_settings().database_url))


def _normalize(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        # A relative file is relative to where the command ran, not to later chdirs.
        return prefix + str(Path(url.removeprefix(prefix)).resolve())
    return url


@lru_cache(maxsize=16)
def _engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            # As many connections as the pages' worker threads (40): a request waits for the
            # write lock (busy_timeout), never for a connection.
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False},
                pool_size=10,
                max_overflow=30,
            )
            event.listen(engine, "connect", _sqlite_pragmas)
            database = engine.url.database
            lock_file = Path(database + "-writer") if database and database != ":memory:" else None
            WriterLock(BUSY_TIMEOUT_MS / 1000, lock_file).attach(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30)
    except Exception as exc:  # a bad URL or a missing driver
        raise ConfigError(
            _(
                "KIEMDIEM_DATABASE_URL={url!r} cannot be used: {error}. "
                "Use sqlite:///path/to/file.db or postgresql://user@host/dbname."
            ).format(url=url, error=exc)
        ) from exc
    return engine


def storage_failure(exc: BaseException, engine: Engine) -> StorageFailed | None:
    """The one line to show when `exc` is the storage refusing a write (a full disk, a
    read-only file or database), or None when it is anything else."""
    if not isinstance(exc, DBAPIError):
        return None
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    if not any(m in reason.lower() for m in _STORAGE_REFUSALS):
        return None
    return StorageFailed(
        _(
            "cannot write to the database {url}: {reason}. Nothing was changed (the whole "
            "action was rolled back); free space or make the database writable, then run the "
            "command again."
        ).format(url=engine.url.render_as_string(hide_password=True), reason=reason)
    )


# What a rerun of the same transaction can get past: SQLite's busy lock, PostgreSQL's
# serialization failures and deadlocks (SQLSTATE 40001, 40P01), a dropped connection.
_TRANSIENT_TEXT = ("database is locked", "database table is locked", "could not serialize")
_TRANSIENT_SQLSTATES = {"40001", "40P01", "08000", "08003", "08006"}


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is a database error that the same transaction, run again, may not meet."""
    if not isinstance(exc, OperationalError):
        return False
    if exc.connection_invalidated:
        return True
    if getattr(exc.orig, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    reason = str(exc.orig or exc).lower()
    return any(t in reason for t in _TRANSIENT_TEXT)


@contextmanager
def _storage_errors(engine: Engine) -> Iterator[None]:
    try:
        yield
    except DBAPIError as exc:
        failure = storage_failure(exc, engine)
        if failure is None:
            raise
        raise failure from exc


def init_db(engine: Engine) -> str:
    """Bring the database to the newest schema (models.migrate): created if empty, upgraded
    in place keeping its rows if older, left alone if current; returns which. A full disk or
    a read-only database is one StorageFailed line."""
    with _storage_errors(engine):
        return upgrade(engine)


def probe_writable(session: Session) -> None:
    """Refuse at once (StorageFailed) if the database takes no writes: a statement that
    writes nothing still needs a writable database, so a front end learns it before it
    starts a flow whose first write would fail inside Prefect. A full disk shows only when a
    write grows the files; that is caught where it happens."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _storage_errors(engine):
        session.execute(text("UPDATE cycle SET code = code WHERE 1 = 0"))


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            failure = storage_failure(exc, engine)
            if failure is not None:
                raise failure from exc
            raise
