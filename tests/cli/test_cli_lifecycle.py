"""Init, close, backup and restore as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text, update
from typer.testing import CliRunner

from kiemdiem.cli import app
from models import Unit, get_engine, load_settings, session_scope
from models.migrate import head
from states import launch, load_plan
from tests.factories import write_district, write_plan
from tests.states.helpers import local

runner = CliRunner()


def test_init_close_backup_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    made = runner.invoke(app, ["init"])
    assert made.exit_code == 0 and f"created, schema revision {head()}" in made.output
    assert f"current, schema revision {head()}" in runner.invoke(app, ["init"]).output
    assert runner.invoke(app, ["org", "import", *map(str, write_district(tmp_path))]).exit_code == 0
    with session_scope(get_engine()) as session:
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path)),
            now=local("2026-11-10 08:00"),
            settings=load_settings(),
        )
    refused = runner.invoke(app, ["cycle", "close", "TT-2026"])
    assert refused.exit_code == 1 and "unit(s) not closed" in str(refused.exception)
    backed = runner.invoke(app, ["backup", str(tmp_path / "before-close.db")])
    assert backed.exit_code == 0, backed.output
    with session_scope(get_engine()) as session:
        session.execute(update(Unit).values(state="closed"))
    closed = runner.invoke(app, ["cycle", "close", "TT-2026", "--now", "2027-01-05T08:00:00+07:00"])
    assert closed.exit_code == 0 and "cycle TT-2026 closed" in closed.output
    assert "already closed" in runner.invoke(app, ["cycle", "close", "TT-2026"]).output
    restored = runner.invoke(app, ["restore", str(tmp_path / "before-close.db")])
    assert restored.exit_code == 0, restored.output
    with get_engine().connect() as connection:
        assert connection.execute(text("SELECT closed_at FROM cycle")).scalar_one() is None
