"""The application schema's versions: Alembic migrations in `models/migrations/versions`.

Every command brings its database to the newest revision before it touches a table
(`init_db`): a database at head is left alone (one query against `HEAD`, without loading
Alembic, which costs a command a third of a second), an older one is upgraded in place
keeping its rows, an empty one is created whole from the tables and stamped at head (what
Alembic's cookbook does; `tests/models/test_migrations.py` proves the migrations build the
same schema), and one made before there were migrations is taken as the first revision and
upgraded from there.

A developer who changes a table adds a migration:
`alembic revision --autogenerate -m "what changed"` (against a scratch database at head),
reads it, and commits it beside the change, and sets `HEAD` to its revision (a test holds
`HEAD` to Alembic's head, so the two cannot drift).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from models.errors import ConfigError
from vocabulary import _

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The revision that is the schema as it was before migrations existed.
BASELINE = "0001"
# The newest revision in migrations/versions: a database stamped with it needs nothing.
HEAD = "0012"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration without alembic.ini, so an installed package can migrate."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision these migrations know."""
    return HEAD


@lru_cache(maxsize=1)
def alembic_head() -> str:
    """The head as Alembic finds it in migrations/versions (what `HEAD` must say)."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def current(connection: Connection) -> str | None:
    """The revision the database is at, or None if it has never been stamped: Alembic's
    own table, read without Alembic (the history is linear, so it holds one row)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> str:
    """Bring the database to head; return what was done ("current", "created", "upgraded")."""
    with engine.connect() as connection:
        at = current(connection)
        if at == head():
            return "current"
        tables = set(inspect(connection).get_table_names())
    from alembic import command
    from alembic.script import ScriptDirectory

    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if at is not None and at not in known:
        raise ConfigError(
            _(
                "the database {database} is at schema revision {revision}, which this kiemdiem "
                "does not know: it was upgraded by a newer kiemdiem; install that version"
            ).format(database=_name(engine), revision=at)
        )
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # batch mode copies tables: foreign keys are checked again afterwards
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if not sqlite:  # two workers starting at once: one migrates, one waits
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(8151208)")
                    if current(connection) == head():
                        return "current"
                if at is None and not tables & set(SQLModel.metadata.tables):
                    SQLModel.metadata.create_all(connection)
                    command.stamp(alembic_config(connection), "head")
                    return "created"
                if current(connection) is None:  # made by create_all before migrations
                    command.stamp(alembic_config(connection), BASELINE)
                command.upgrade(alembic_config(connection), "head")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()
    return "upgraded"


def _name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
