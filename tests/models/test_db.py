"""The engine follows KIEMDIEM_DATABASE_URL as it is when asked, not as it first was."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import get_engine


def test_the_engine_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    first = get_engine()
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    assert get_engine().url.database == str(tmp_path / "b.db")
    assert get_engine() is not first


def test_a_relative_sqlite_file_is_where_the_command_ran(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert get_engine("sqlite:///kiemdiem.db").url.database == str(tmp_path / "kiemdiem.db")


def test_a_postgresql_url_uses_psycopg() -> None:
    assert get_engine("postgresql://postgres@127.0.0.1/x").url.drivername == "postgresql+psycopg"
