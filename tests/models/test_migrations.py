"""The migrations build the tables the models declare, on SQLite and PostgreSQL, and an upgrade
keeps an office's rows."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text
from sqlmodel import SQLModel

from models import ConfigError, get_engine, init_db, session_scope
from models.migrate import BASELINE, HEAD, alembic_config, alembic_head, current, head, upgrade
from models.org_import import import_organizations
from tests.factories import write_district

HOW_TO_ADD = (
    "the migrations do not build the tables the models declare. A table or column was "
    "changed without a migration: make a scratch database at head (KIEMDIEM_DATABASE_URL="
    "sqlite:////tmp/scratch.db kiemdiem init, from before the change), then run "
    '`KIEMDIEM_DATABASE_URL=sqlite:////tmp/scratch.db alembic revision --autogenerate -m "what '
    'changed"` in the checkout, read the new file in models/migrations/versions/ (batch mode is '
    "on, so it runs on SQLite too) and commit it with the change. Differences:\n"
)


def test_the_head_kept_in_the_code_is_alembics_head() -> None:
    """`init_db` compares the database with HEAD without loading Alembic: a migration added
    without moving HEAD would leave every database a revision behind, unnoticed."""
    assert HEAD == alembic_head()


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a PostgreSQL database without any table."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    url = str(request.getfixturevalue("postgres_url"))
    with get_engine(url).begin() as connection:  # the test databases come with every table
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    return url


@pytest.mark.parametrize("empty_url", ["sqlite", "postgres"], indirect=True)
def test_the_migrations_build_exactly_the_models_tables(empty_url: str) -> None:
    engine = get_engine(empty_url)
    with engine.begin() as connection:  # the migrations themselves, not create_all
        command.upgrade(alembic_config(connection), "head")
    with engine.connect() as connection, warnings.catch_warnings():
        assert current(connection) == head()
        if connection.dialect.name == "sqlite":
            # SQLAlchemy cannot reflect SQLite's expression indexes, so Alembic leaves them
            # out of the comparison (and says so): they are compared by their SQL below.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expr")
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}),
            SQLModel.metadata,
        )
        expressions = _expression_indexes(connection)
    assert not differences, HOW_TO_ADD + "\n".join(map(str, differences))
    assert expressions == {
        ("member", "ix_member_email_lower", "lower(email)"),
        ("organization", "ix_organization_email_lower", "lower(email)"),
        ("organization", "ix_organization_secretary_email_lower", "lower(secretary_email)"),
    }


def _expression_indexes(connection: Connection) -> set[tuple[str, str, str]]:
    """(table, index, expression) of every index on an expression, as the database has it."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            text("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'")
        )
        return {
            (table, name, sql.split("(", 1)[1].rsplit(")", 1)[0].strip())
            for table, name, sql in rows
            if sql and "lower(" in sql.lower()
        }
    rows = connection.execute(
        text("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
    )
    return {
        (table, name, expression.replace("((", "(").replace(")::text)", ")"))
        for table, name, definition in rows
        # "CREATE INDEX … USING btree (lower((email)::text))"
        if (expression := definition.split("(", 1)[1].rsplit(")", 1)[0].strip())
        if "lower(" in definition
    }


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    with get_engine(url).connect() as connection:
        return {
            t: [tuple(r) for r in connection.execute(text(f"SELECT * FROM {t} ORDER BY id"))]
            for t in ("organization", "member", "cycle")
        }


def _write_first_revision_rows(connection: Connection) -> None:
    """Rows written as the first revision's tables allow (no model of today's is used)."""
    at = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    connection.execute(
        text(
            "INSERT INTO organization (code, name, level, path, updated_at) "
            "VALUES ('HU', 'Huyện ủy', 'DISTRICT', '/1/', :at)"
        ),
        {"at": at},
    )
    connection.execute(
        text(
            "INSERT INTO cycle (code, title, document, launched_by_id, rule_set, timezone, "
            "plan_json, rule_set_json, launched_at) VALUES ('TT-2025', 'Kiểm điểm 2025', "
            "'131-KH/HU', (SELECT id FROM organization), 'qd124-2023', 'Asia/Ho_Chi_Minh', "
            "'{}', '{}', :at)"
        ),
        {"at": at},
    )


@pytest.mark.parametrize("empty_url", ["sqlite", "postgres"], indirect=True)
def test_an_upgrade_from_the_first_migration_keeps_the_rows(empty_url: str, tmp_path: Path) -> None:
    engine = get_engine(empty_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), BASELINE)
    orgs_csv, members_csv = write_district(tmp_path)
    with engine.begin() as connection:
        _write_first_revision_rows(connection)
    before = _rows(empty_url)
    assert init_db(engine) == ("current" if head() == BASELINE else "upgraded")
    with engine.connect() as connection:
        assert current(connection) == head()
    after = _rows(empty_url)
    assert after["organization"] == before["organization"]
    assert [r[: len(before["cycle"][0])] for r in after["cycle"]] == before["cycle"]
    # and the upgraded database works: a whole district imports into it
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    assert len(_rows(empty_url)["member"]) > 0


def test_a_new_database_is_made_at_head_and_then_left_alone(sqlite_url: str) -> None:
    engine = get_engine(sqlite_url)
    assert init_db(engine) == "created"
    with engine.connect() as connection:
        assert current(connection) == head()
    assert init_db(engine) == "current"


def test_a_database_made_before_migrations_is_taken_as_the_first_revision(sqlite_url: str) -> None:
    engine = get_engine(sqlite_url)
    with engine.begin() as connection:  # what create_all made before there were migrations
        command.upgrade(alembic_config(connection), BASELINE)
        _write_first_revision_rows(connection)
        connection.execute(text("DROP TABLE alembic_version"))
    before = _rows(sqlite_url)
    assert upgrade(engine) == "upgraded"
    after = _rows(sqlite_url)
    assert after["organization"] == before["organization"]
    assert [r[: len(before["cycle"][0])] for r in after["cycle"]] == before["cycle"]
    assert "alembic_version" in inspect(engine).get_table_names()
    assert "closed_at" in {c["name"] for c in inspect(engine).get_columns("cycle")}


@pytest.mark.usefixtures("english")  # asserts the English words
def test_a_database_from_a_newer_version_is_refused(sqlite_url: str) -> None:
    engine = get_engine(sqlite_url)
    init_db(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(ConfigError, match="revision ffff, which this kiemdiem does not know"):
        init_db(engine)
