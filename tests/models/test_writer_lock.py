"""SQLite writers of one process queue for the file's write lock in line (models.db.WriterLock):
one writing transaction at a time, each given back however its transaction ends."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from models import get_engine, session_scope
from models.db import writer_lock


@pytest.fixture
def engine(tmp_path: Path) -> object:
    engine = get_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with session_scope(engine) as session:  # type: ignore[arg-type]
        session.execute(text("CREATE TABLE t (n INTEGER)"))
    return engine


def test_writers_of_one_process_write_one_at_a_time_and_all_get_through(engine: object) -> None:
    inside, most, errors = [0], [0], []
    lock = writer_lock(engine)  # type: ignore[arg-type]
    assert lock is not None
    guard = threading.Lock()

    def write(n: int) -> None:
        try:
            with session_scope(engine) as session:  # type: ignore[arg-type]
                session.execute(text("SELECT count(*) FROM t")).one()  # a read takes no turn
                session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                assert lock.locked()
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.005)  # the rest of the transaction, still holding the lock
                session.execute(text("UPDATE t SET n = n WHERE n = :n"), {"n": n})
                with guard:
                    inside[0] -= 1
        except Exception as exc:  # pragma: no cover - what the test reports
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert most[0] == 1 and not lock.locked()
    with session_scope(engine) as session:  # type: ignore[arg-type]
        assert session.execute(text("SELECT count(*) FROM t")).scalar_one() == 30


def _write_soon(engine: object) -> float:
    """How long another thread waits to write (it would wait the busy timeout if the lock
    were still held)."""
    took: list[float] = []

    def other() -> None:
        mark = time.perf_counter()
        with session_scope(engine) as session:  # type: ignore[arg-type]
            session.execute(text("INSERT INTO t VALUES (2)"))
        took.append(time.perf_counter() - mark)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(5)
    assert took, "the lock was never given back"
    return took[0]


def test_a_refused_transaction_gives_the_lock_back(engine: object) -> None:
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:  # type: ignore[arg-type]
            session.execute(text("INSERT INTO t VALUES (1)"))
            assert writer_lock(engine).locked()  # type: ignore[arg-type, union-attr]
            raise RuntimeError("refused")
    assert not writer_lock(engine).locked()  # type: ignore[arg-type, union-attr]
    assert _write_soon(engine) < 1
    with session_scope(engine) as session:  # type: ignore[arg-type]
        assert session.execute(text("SELECT n FROM t")).scalars().all() == [2]


def test_a_session_closed_without_commit_gives_the_lock_back(engine: object) -> None:
    with Session(engine) as session:  # type: ignore[call-overload]
        session.execute(text("SELECT 1"))
        assert not writer_lock(engine).locked()  # type: ignore[arg-type, union-attr]
        session.execute(text("INSERT INTO t VALUES (1)"))
        assert writer_lock(engine).locked()  # type: ignore[arg-type, union-attr]
    assert not writer_lock(engine).locked()  # type: ignore[arg-type, union-attr]
    assert _write_soon(engine) < 1


def test_processes_on_one_file_take_turns_through_the_lock_file_beside_it(
    engine: object, tmp_path: Path
) -> None:
    """Another process (here: another open of the lock file) cannot take the file's lock
    while a transaction writes, and can the moment it ends."""
    import fcntl
    import os

    lock_file = tmp_path / "lock.db-writer"

    def free() -> bool:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)  # closing gives back a lock it took
        return True

    with session_scope(engine) as session:  # type: ignore[arg-type]
        session.execute(text("SELECT count(*) FROM t")).one()
        assert free()  # reading takes no turn
        session.execute(text("INSERT INTO t VALUES (1)"))
        assert not free()
    assert free()
