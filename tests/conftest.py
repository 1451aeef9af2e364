"""Real peers for every boundary: SQLite files, a PostgreSQL database, an SMTP server."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from kiemdiem.prefect_env import prepare_prefect

# Before anything imports Prefect: its home (and ephemeral database) stays out of ~/.prefect.
prepare_prefect(home=Path(tempfile.mkdtemp(prefix="kiemdiem-tests-prefect-")))

from kiemdiem.demo.smtp_server import LocalSMTPServer  # noqa: E402
from models import get_engine, init_db, session_scope  # noqa: E402
from models.org_import import import_organizations  # noqa: E402
from tests.factories import write_district  # noqa: E402

POSTGRES_ADMIN_URL = os.environ.get(
    "KIEMDIEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's KIEMDIEM_* settings or writes into the checkout."""
    for name in list(os.environ):
        if name.startswith("KIEMDIEM_") and name != "KIEMDIEM_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    # A `cycle tick` run in this process would lower the whole test run's priority for good.
    monkeypatch.setenv("KIEMDIEM_TICK_NICE", "0")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _no_event_loop_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    """Playwright's sync API keeps its asyncio loop marked as running in the main thread for
    as long as the session's Chromium (tests/web `browser`) is open. A test after it that does
    not drive the browser would then be "in an async context": Prefect's sync calls return
    coroutines (`State.result()`), `asyncio.run` refuses. Such a test runs with no loop
    running, as it would alone; the browser's loop is back for the next page test."""
    if "browser" in request.fixturenames:
        yield
        return
    left = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(left)


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test that asserts English words: Vietnamese is the product's default."""
    monkeypatch.setenv("KIEMDIEM_LANG", "en")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kiemdiem.db'}"


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every table at head, made once per session (per xdist worker): a
    test's own file starts as a copy of it (`copy_schema`), a fraction of init_db's cost."""
    path = tmp_path_factory.mktemp("sqlite-schema") / "schema.db"
    url = f"sqlite:///{path}"
    assert init_db(get_engine(url)) == "created"
    get_engine(url).dispose()
    with sqlite3.connect(path) as connection:  # everything in the main file, none in -wal
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return path


def copy_schema(schema: Path, url: str) -> None:
    """Give the SQLite database at `url` every table, as init_db would on a new file, by
    copying the session's `sqlite_schema`; a file that exists already is left alone."""
    target = Path(url.removeprefix("sqlite:///"))
    if url.startswith("sqlite:///") and not target.exists():
        shutil.copyfile(schema, target)


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql)


def _url_of(name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    """One database with every table, made once per test session: each test's database is a
    copy of it (CREATE DATABASE … TEMPLATE takes a fraction of create_all's 2-3 s)."""
    name = f"kiemdiem_template_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    engine = get_engine(_url_of(name))
    init_db(engine)
    engine.dispose()  # a template cannot be copied while anyone is connected to it
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(_postgres_template: str) -> Iterator[str]:
    """A fresh database on the local PostgreSQL server, with every table, dropped afterwards.

    It fails (never skips) when the server is not there: CI must run these tests.
    """
    name = f"kiemdiem_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{_postgres_template}"')
    url = _url_of(name)
    yield url
    get_engine(url).dispose()
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that reaches PostgreSQL `postgres`, and every test that needs a Prefect
    API `slow` (it costs 20-40 s to start), so `-m "not postgres and not slow"` is the loop a
    developer runs every minute."""
    for item in items:
        if "prefect_api" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
        callspec = getattr(item, "callspec", None)
        # A backend parameter ("postgres") may reach postgres_url through getfixturevalue,
        # as database_url and test_migrations' empty_url do.
        on_postgres = "postgres_url" in getattr(item, "fixturenames", ()) or (
            callspec is not None and "postgres" in map(str, callspec.params.values())
        )
        if on_postgres:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Run the test on both backends the product supports."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def engine(database_url: str, request: pytest.FixtureRequest) -> Engine:
    if database_url.startswith("sqlite:///"):
        copy_schema(request.getfixturevalue("sqlite_schema"), database_url)
    engine = get_engine(database_url)
    init_db(engine)  # on the copy (or PostgreSQL's template copy): one query, "current"
    return engine


@pytest.fixture
def district(engine: Engine, tmp_path: Path) -> Engine:
    """The factories' small district, imported."""
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    return engine


@pytest.fixture
def smtp_server() -> Iterator[LocalSMTPServer]:
    with LocalSMTPServer() as server:
        yield server


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[None]:
    """A real Prefect API for the whole session: it takes 20-30 s to start, so once."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
