"""The tree is read once per transaction: asked again, it costs no statement; after the same
transaction writes an organization or a member (an import), or in the next transaction, it
is looked at again and shows the change (states._tx_memo)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text, update
from sqlalchemy.engine import Engine

from models import get_engine, init_db, session_scope
from models.org_import import import_organizations
from models.organization import Organization
from states.directory import Directory
from tests.factories import MEMBERS, write_district


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _engine(sqlite_url: str, tmp_path: Path) -> Engine:
    engine = get_engine(sqlite_url)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path, members=MEMBERS)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    return engine


def test_asked_again_in_a_transaction_the_tree_costs_no_statement(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = _engine(sqlite_url, tmp_path)
    with session_scope(engine) as session:
        first = Directory.load(session)
        with _statements(engine) as seen:
            again = Directory.load(session)
        assert again is first and seen == []
    with session_scope(engine) as session, _statements(engine) as seen:
        Directory.load(session)
        assert len(seen) == 1  # a new transaction checks the tree's version


def test_a_write_to_the_tree_in_the_same_transaction_is_seen(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = _engine(sqlite_url, tmp_path)
    with session_scope(engine) as session:
        before = Directory.load(session)
        code = next(iter(before.by_code))
        # A Core statement on the session's connection, stamped, as the imports write.
        session.connection().execute(
            update(Organization)
            .where(Organization.code == code)  # type: ignore[arg-type]
            .values(name="Chi bộ đổi tên", updated_at=datetime.now(UTC) + timedelta(days=1))
        )
        renamed = Directory.load(session)
        assert renamed.by_code[code].name == "Chi bộ đổi tên"


def test_a_write_whose_table_cannot_be_named_counts_for_every_table(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = _engine(sqlite_url, tmp_path)
    with session_scope(engine) as session:
        Directory.load(session)
        session.connection().execute(text("WITH x AS (SELECT 1) UPDATE unit SET state = state"))
        with _statements(engine) as seen:
            Directory.load(session)
        assert len(seen) == 1  # looked at again
        with _statements(engine) as seen:
            Directory.load(session)
        assert seen == []
