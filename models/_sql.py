"""Dialect-aware statements the other layers share."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
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


def driver_executemany(
    connection: Any, statement: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Execute an INSERT for many rows on SQLite's driver directly; return the rows written.

    SQLAlchemy binds every value of every row through its types, which was most of the cost
    of writing a province's members or a tick's mail. Here each column's bind processor is
    found once and a value it processes is processed once (the same instant, the same enum,
    stand in thousands of rows); text and numbers go to the driver as they are. `rows` are
    tuples in `columns`' order, which must be the table's (the order a compiled INSERT binds).
    The rowcount counts rows written, not those an ON CONFLICT DO NOTHING skipped.
    """
    dialect = connection.dialect
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    assert list(compiled.positiontup) == list(columns), compiled.positiontup
    table = statement.table
    processors: list[tuple[int, Any, dict[Any, Any]]] = [
        (i, process, {})
        for i, name in enumerate(columns)
        if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]

    def bound(row: Sequence[Any]) -> tuple[Any, ...]:
        if not processors:
            return tuple(row)
        values = list(row)
        for i, process, seen in processors:
            value = values[i]
            if value is None:
                continue
            try:
                done = seen.get(value)
            except TypeError:  # unhashable: processed each time
                done = None
            if done is None:
                done = process(value)
                try:
                    seen[value] = done
                except TypeError:
                    pass
            values[i] = done
        return tuple(values)

    sql, written, source = str(compiled), 0, iter(rows)
    while chunk := [bound(row) for row in islice(source, 1000)]:
        written += connection.exec_driver_sql(sql, chunk).rowcount
    return written


def chunks(items: Sequence[T], size: int = 5000) -> Iterator[Sequence[T]]:
    """Slices small enough for an IN (...) list on every backend."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
