"""Back up and restore a running office's database: SQLite's online backup (a consistent copy
while ticks and people write), pg_dump / pg_restore on PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import Engine

from models.errors import ConfigError
from vocabulary import _


def _pg_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise ConfigError(
            _(
                "{command} is not installed; install the PostgreSQL client tools (the same "
                "major version as the server) and run it again"
            ).format(command=command[0])
        ) from exc
    if done.returncode != 0:
        raise ConfigError(
            _("{command} failed: {error}").format(command=command[0], error=done.stderr.strip())
        )


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the database to `target` (a SQLite file, or a pg_dump
    custom-format archive); writers go on meanwhile."""
    if target.exists():
        raise ConfigError(_("{path} exists; give the backup a new file name").format(path=target))
    if engine.dialect.name == "sqlite":
        assert engine.url.database
        with sqlite3.connect(engine.url.database) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        return
    _run(["pg_dump", "--format=custom", f"--file={target}", _pg_url(engine)])


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's contents with the backup's; stop every tick, worker and page
    first (they would write into what is being replaced)."""
    if not source.exists():
        raise ConfigError(_("no backup at {path}").format(path=source))
    engine.dispose()
    if engine.dialect.name == "sqlite":
        assert engine.url.database
        with sqlite3.connect(source) as backup_db, sqlite3.connect(engine.url.database) as db:
            backup_db.backup(db)
        return
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_pg_url(engine)}",
            str(source),
        ]
    )
