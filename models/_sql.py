"""Dialect-aware statements the other layers share."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlmodel import Session

T = TypeVar("T")


def insert_ignoring_duplicates(session: Session, table: Any) -> Any:
    """An INSERT that skips rows whose unique key already exists (ON CONFLICT DO NOTHING).

    Under concurrency this is what makes "once" hold: a second writer of the same key waits for
    the first to commit and then inserts nothing, instead of failing the whole transaction.
    """
    dialect = session.get_bind().dialect.name
    # Imported here: loading PostgreSQL's dialect costs a SQLite command a tenth of a second.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert

    return insert(table).on_conflict_do_nothing()


def chunks(items: Sequence[T], size: int = 5000) -> Iterator[Sequence[T]]:
    """Slices small enough for an IN (...) list on every backend."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
