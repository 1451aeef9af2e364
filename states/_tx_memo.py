"""Values read once per transaction: asked again, they cost no statement, unless the same
transaction has written one of the tables they are read from since (then they are read
again). Forgotten at commit and rollback (`states.cycles.get_cycle` and the tree use it).

Every page asks for the tree and the running cycles several times (its person, guards, view
and action each ask), and on SQLite a statement's cost in SQLAlchemy is most of a page's CPU.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlmodel import Session

T = TypeVar("T")

_MEMOS = "kiemdiem.memos"  # Session.info: name -> (write counts then, value)
_WRITES = "kiemdiem.writes"  # Connection.info: table -> write statements sent
_TARGET = re.compile(
    r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)',
    re.I,
)
_READS = ("SELECT", "PRAGMA", "SAVEPOINT", "RELEASE")


@event.listens_for(Engine, "before_cursor_execute")
def _count_writes(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
    if statement.lstrip()[:9].upper().startswith(_READS):
        return
    target = _TARGET.match(statement)
    # A write this cannot name the table of (a CTE before it, DDL) counts for every table.
    table = target.group(1).lower() if target else "*"
    writes: dict[str, int] = conn.info.setdefault(_WRITES, {})
    writes[table] = writes.get(table, 0) + 1


def once_per_transaction(
    session: Session, name: str, tables: Sequence[str], read: Callable[[], T]
) -> T:
    """`read()` the first time in this transaction, and again only after the transaction
    wrote one of `tables`; else the value it gave."""
    writes: dict[str, int] = session.connection().info.get(_WRITES, {})
    key = (writes.get("*", 0), *(writes.get(t, 0) for t in tables))
    memos: dict[str, tuple[tuple[int, ...], Any]] = session.info.setdefault(_MEMOS, {})
    held = memos.get(name)
    if held is not None and held[0] == key:
        return held[1]  # type: ignore[no-any-return]
    value = read()
    memos[name] = (key, value)
    return value


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    # A savepoint released is not the transaction's end: what it read is still current.
    if not session.in_nested_transaction():
        _forget(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, *_: object) -> None:
    # A new transaction reads again (a rolled-back one may even have made what was read).
    session.info.pop(_MEMOS, None)


__all__ = ["once_per_transaction"]
