"""Column types shared by the tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored as UTC (SQLite has no time zones of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def instant_reader() -> Callable[[Any], datetime]:
    """Read a `UTCDateTime` column selected as it is stored (`type_coerce(column, String)`):
    SQLite's text, PostgreSQL's datetime, to the aware instant the type would give, each
    distinct value converted once. Tens of thousands of audit and deadline rows share a few
    instants (a tick's, a plan's due days); converted one by one they were a third of reading
    a cycle's rows for the insights."""
    seen: dict[Any, datetime] = {}

    def read(value: Any) -> datetime:
        done = seen.get(value)
        if done is None:
            instant = datetime.fromisoformat(value) if isinstance(value, str) else value
            done = seen[value] = (
                instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
            )
        return done

    return read


def utcnow() -> datetime:
    """Real time, aware; for audit columns that record when a row was written."""
    return datetime.now(UTC)
