"""A full disk during a tick already running inside Prefect: the operator reads one line,
what and where, without Prefect's tracebacks of the task and flow that failed above it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kiemdiem.cli import main
from models import get_engine, init_db
from tests.factories import write_district
from tests.models.test_storage_failures import disk_full_after
from tests.states.helpers import launch_cycle, local


@pytest.mark.slow
def test_a_full_disk_inside_the_flow_is_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    prefect_api: None,
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    db = tmp_path / "k.db"
    url = f"sqlite:///{db}"
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", url)
    monkeypatch.setattr(
        sys, "argv", ["kiemdiem", "org", "import", *map(str, write_district(tmp_path))]
    )
    with pytest.raises(SystemExit) as imported:
        main()
    assert imported.value.code in (0, None)
    engine = get_engine(url)
    init_db(engine)
    launch_cycle(engine, tmp_path, local("2026-11-10 08:00"))
    engine.dispose()  # the WAL is checkpointed and gone: the tick's writes grow it from nothing
    capsys.readouterr()
    monkeypatch.setattr(
        sys, "argv", ["kiemdiem", "--now", "2026-11-19T08:00:00+07:00", "cycle", "tick", "TT-2026"]
    )
    # The shared-memory file (32 KiB) still fits; a few pages of the tick's WAL do not.
    with disk_full_after(48 * 1024), pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    assert exited.value.code == 1
    assert out.err.startswith(f"error: cannot write to the database sqlite:///{db}: ")
    assert len(out.err.strip().splitlines()) == 1, out.err
    assert "Traceback" not in out.out + out.err and "prefect" not in (out.out + out.err).lower()
