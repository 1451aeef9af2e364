"""Alembic's entry point: runs the application schema's migrations on the connection given by
`models.migrate` (or, from the `alembic` command, on KIEMDIEM_DATABASE_URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import models.db  # noqa: F401  (registers every table on SQLModel.metadata)
from models.db import get_engine


def _run(connection: Connection) -> None:
    # SQLite alters a table by copying it (batch mode); the same scripts run on PostgreSQL.
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with get_engine(context.config.get_main_option("sqlalchemy.url") or None).connect() as conn:
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("kiemdiem's migrations run against a database, not as an SQL script")
run_migrations_online()
