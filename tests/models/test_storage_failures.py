"""A full disk or a read-only database: one clear line saying what and where, nothing
half-written. The disk fills for real: the process's file-size limit (RLIMIT_FSIZE) makes
the kernel refuse every write past it, as a full disk would."""

from __future__ import annotations

import resource
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from kiemdiem.cli import main
from models import Member, StorageFailed, get_engine, init_db, session_scope
from tests.factories import MEMBER_HEADER, MEMBERS, member, write_csv, write_district


@contextmanager
def disk_full_after(limit: int) -> Iterator[None]:
    """Every write by this process past `limit` bytes of a file fails (EFBIG), for the block."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["kiemdiem", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0)


def _members(url: str) -> int:
    with session_scope(get_engine(url)) as session:
        return session.exec(select(func.count()).select_from(Member)).one()


def test_a_full_disk_during_an_import_is_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    db = tmp_path / "k.db"
    url = f"sqlite:///{db}"
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", url)
    orgs, members = write_district(tmp_path)
    assert _main(monkeypatch, "org", "import", str(orgs), str(members)) == 0
    many = [*MEMBERS, *(member(f"N{i:05d}", "C1") for i in range(3_000))]
    big = write_csv(tmp_path / "many.csv", MEMBER_HEADER, many)
    get_engine(url).dispose()  # the WAL is checkpointed and gone: the next writes grow files
    capsys.readouterr()
    with disk_full_after(db.stat().st_size + 64 * 1024):
        code = _main(monkeypatch, "org", "import", str(orgs), str(big))
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: cannot write to the database sqlite:///{db}: ")
    assert "Nothing was changed" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert _members(url) == len(MEMBERS)


def test_a_read_only_database_is_one_line_and_writes_nothing(
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import psycopg

    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", postgres_url)
    init_db(get_engine(postgres_url))
    name = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    get_engine(postgres_url).dispose()
    orgs, members = write_district(tmp_path)
    assert _main(monkeypatch, "org", "import", str(orgs), str(members)) == 1
    err = capsys.readouterr().err
    assert "cannot write to the database postgresql" in err
    assert "read-only transaction" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert _members(postgres_url) == 0


def test_a_workbook_that_cannot_be_written_leaves_the_old_one_whole(
    tmp_path: Path, english: None
) -> None:
    from openpyxl import Workbook

    from kiemdiem.report_xlsx import _save

    path = tmp_path / "bao-cao.xlsx"
    old = Workbook()
    old.active["A1"] = "bản cũ"
    old.save(path)
    before = path.read_bytes()
    new = Workbook()
    new.active["A1"] = "x" * 2_000_000  # far past the limit below
    with disk_full_after(16 * 1024), pytest.raises(StorageFailed) as failed:
        _save(new, path)
    assert str(failed.value).startswith(f"cannot write the report to {path}: File too large")
    assert path.read_bytes() == before
    assert load_workbook(path).active["A1"].value == "bản cũ"
    assert [p.name for p in tmp_path.iterdir()] == ["bao-cao.xlsx"]


def test_a_tick_on_a_read_only_database_says_so_before_prefect_starts(
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import psycopg

    from tests.states.helpers import launch_cycle, local

    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", postgres_url)
    orgs, members = write_district(tmp_path)
    assert _main(monkeypatch, "org", "import", str(orgs), str(members)) == 0
    launch_cycle(get_engine(postgres_url), tmp_path, local("2026-11-10 08:00"))
    name = postgres_url.rsplit("/", 1)[1]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    get_engine(postgres_url).dispose()
    capsys.readouterr()
    assert _main(monkeypatch, "cycle", "tick", "TT-2026") == 1
    out = capsys.readouterr()
    assert out.err.startswith("error: cannot write to the database postgresql")
    assert len(out.err.strip().splitlines()) == 1
    assert "prefect" not in (out.out + out.err).lower()
