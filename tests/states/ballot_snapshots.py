"""Copies of a whole database as an attacker would take them (the SQLite file with its WAL;
every PostgreSQL row with its xmin and ctid, and every raw page, dead row versions included),
and attackers that try to read each voter's choice off a sequence of them."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from models import Level

LEVELS = [level.value for level in Level]
# A level as a table stores it (SQLAlchemy's Enum keeps the name, GOOD) or as text (good).
SPELLINGS = {spelling: level.value for level in Level for spelling in (level.name, level.value)}


@dataclass(frozen=True)
class Snapshot:
    # (table, row) for every row of every table; on PostgreSQL every row version, dead or
    # alive, with its page, line pointer, xmin and ctid.
    rows: frozenset[tuple[str, tuple[object, ...]]]
    # The bytes an operator holds: the SQLite file and its -wal; PostgreSQL's raw pages.
    raw: bytes


def checkpoint(engine: Engine) -> None:
    """Fold SQLite's WAL into the file first, so the snapshots' WAL holds only the ballots."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def take(engine: Engine) -> Snapshot:
    return _sqlite(engine) if engine.dialect.name == "sqlite" else _postgres(engine)


def _sqlite(engine: Engine) -> Snapshot:
    database = Path(str(engine.url.database))
    copies = Path(tempfile.mkdtemp(prefix="ballot-snapshot-"))
    raw = b""
    for suffix in ("", "-wal"):
        source = database.with_name(database.name + suffix)
        if source.exists():
            raw += source.read_bytes()
            shutil.copyfile(source, copies / f"copy.db{suffix}")
    rows: set[tuple[str, tuple[object, ...]]] = set()
    with sqlite3.connect(copies / "copy.db") as copy:
        tables = [t for (t,) in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in copy.execute(f'SELECT rowid, * FROM "{table}"'):
                rows.add((table, tuple(row)))
    copy.close()
    shutil.rmtree(copies)
    return Snapshot(frozenset(rows), raw)


def _postgres(engine: Engine) -> Snapshot:
    """Every tuple version on every page of every table, dead ones included (a new version is
    a new page, line pointer and xmin; a lock changing an old version's xmax adds nothing),
    each enum value decoded to its label; and the raw pages of tables, indexes and TOAST."""
    rows: set[tuple[str, tuple[object, ...]]] = set()
    raw = bytearray()
    with engine.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        labels = dict(connection.execute(text("SELECT oid::int, enumlabel FROM pg_enum")).all())
        relations = connection.execute(
            text(
                "SELECT c.oid::regclass::text, c.relkind, pg_relation_size(c.oid) / "
                "current_setting('block_size')::int FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'i', 't') AND (n.nspname = 'public' OR c.oid IN "
                "(SELECT reltoastrelid FROM pg_class p JOIN pg_namespace s ON "
                "s.oid = p.relnamespace WHERE s.nspname = 'public'))"
            )
        ).all()
        for relation, kind, pages in relations:
            enums = [
                typtype == "e"
                for (typtype,) in connection.execute(
                    text(
                        "SELECT t.typtype FROM pg_attribute a JOIN pg_type t ON t.oid = "
                        "a.atttypid WHERE a.attrelid = CAST(:r AS regclass) AND a.attnum > 0 "
                        "AND NOT a.attisdropped ORDER BY a.attnum"
                    ),
                    {"r": relation},
                )
            ]
            for page in range(pages):
                raw += connection.execute(
                    text("SELECT get_raw_page(:r, :p)"), {"r": relation, "p": page}
                ).scalar_one()
                if kind != "r":
                    continue
                for lp, xmin, ctid, attrs in connection.execute(
                    text(
                        "SELECT lp, t_xmin::text, t_ctid::text, t_attrs FROM "
                        "heap_page_item_attrs(get_raw_page(:r, :p), CAST(:r AS regclass))"
                    ),
                    {"r": relation, "p": page},
                ):
                    if attrs is None:
                        continue
                    values: list[object] = []
                    for is_enum, value in zip(enums, attrs, strict=False):
                        if is_enum and value is not None:
                            label = labels[int.from_bytes(value, "little")]
                            values.append(label)
                            raw += label.encode()  # an attacker reads the enum's label too
                        else:
                            values.append(bytes(value) if value is not None else None)
                    rows.add((relation, (page, lp, xmin, ctid, *values)))
        connection.commit()
    return Snapshot(frozenset(rows), bytes(raw))


def level_strings(raw: bytes) -> Counter[str]:
    """How often each level occurs in raw bytes, either spelling ("completed" not counted
    inside "not_completed")."""
    found: Counter[str] = Counter(dict.fromkeys(LEVELS, 0))
    for spelling, level in SPELLINGS.items():
        found[level] += raw.count(spelling.encode())
    found["completed"] -= found["not_completed"]
    return found


def _unique_top(scores: Counter[str]) -> str | None:
    ranked = scores.most_common()
    if not ranked or ranked[0][1] <= 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def _fields(row: tuple[object, ...]) -> list[str]:
    return [str(v) for v in row]


def rows_attack(snapshots: Sequence[Snapshot], voters: Sequence[str]) -> dict[str, str | None]:
    """Voter i's choice guessed as the level named most by the rows the i-th ballot added or
    changed (a new row, a new value, a new xmin or ctid); no guess when nothing stands out."""
    guesses: dict[str, str | None] = {}
    for i, voter in enumerate(voters):
        fresh = snapshots[i + 1].rows - snapshots[i].rows
        named = Counter(
            SPELLINGS[value]
            for _table, row in fresh
            for value in _fields(row)
            if value in SPELLINGS
        )
        guesses[voter] = _unique_top(named)
    return guesses


def bytes_attack(snapshots: Sequence[Snapshot], voters: Sequence[str]) -> dict[str, str | None]:
    """Voter i's choice guessed as the level whose name occurs more often in the raw bytes
    (file, WAL, pages with dead row versions) after the i-th ballot than before it."""
    guesses: dict[str, str | None] = {}
    for i, voter in enumerate(voters):
        before, after = level_strings(snapshots[i].raw), level_strings(snapshots[i + 1].raw)
        guesses[voter] = _unique_top(Counter({lv: after[lv] - before[lv] for lv in LEVELS}))
    return guesses


__all__ = ["Snapshot", "bytes_attack", "checkpoint", "level_strings", "rows_attack", "take"]
