"""A backup taken while the office runs restores the database as it was then."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from models import ConfigError, get_engine, init_db
from models.backup import backup, restore


def _members(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT code FROM member ORDER BY code")).scalars())


@pytest.mark.usefixtures("english")  # asserts the English words
def test_a_backup_restores_the_database_as_it_was(district: Engine, tmp_path: Path) -> None:
    engine = district
    before = _members(engine)
    assert before
    target = tmp_path / "backup.bin"
    with engine.connect() as reader:  # a reader holds a snapshot open meanwhile
        reader.execute(text("SELECT count(*) FROM member")).scalar_one()
        backup(engine, target)
    with engine.begin() as connection:  # what happens after the backup is lost by a restore
        connection.execute(text("DELETE FROM member WHERE code = :c"), {"c": before[0]})
    assert _members(engine) == before[1:]
    restore(engine, target)
    engine = get_engine(str(engine.url.render_as_string(hide_password=False)))
    assert init_db(engine) == "current"
    assert _members(engine) == before
    with pytest.raises(ConfigError, match="exists; give the backup a new file name"):
        backup(engine, target)
