"""What the flow tests share: a real Prefect API, an imported district, SMTP settings; a real
Prefect server on its own PostgreSQL database for the tests with workers."""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from kiemdiem.demo.smtp_server import free_port
from tests.conftest import POSTGRES_ADMIN_URL, _admin
from tests.flows.processes import PREFECT, _env, _start, _stop


@pytest.fixture
def wired(
    prefect_api: None, monkeypatch: pytest.MonkeyPatch, district: Engine, database_url: str
) -> tuple[Engine, str]:
    monkeypatch.setenv("KIEMDIEM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KIEMDIEM_SMTP_FROM", "kiemdiem@d.example.vn")
    return district, database_url


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for Prefect's own tables (its server migrates it);
    without PostgreSQL this fails, never skips."""
    name = f"prefect_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    server = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].split("://", 1)[1]
    try:
        yield f"postgresql+asyncpg://{server}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def prefect_server(prefect_database: str) -> Iterator[tuple[str, Path, str]]:
    """A real Prefect server in its own process, on its own PostgreSQL database, as a
    province runs it (SQLite under it does not bear several workers)."""
    home = Path(tempfile.mkdtemp(prefix="kiemdiem-prefect-server-"))
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    server = _start(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        _env(api, home, PREFECT_API_DATABASE_CONNECTION_URL=prefect_database),
        home / "server.log",
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, (home / "server.log").read_text()
            time.sleep(0.5)
        else:
            raise AssertionError("the Prefect server did not come up in 180 s")
        yield api, home, prefect_database
    finally:
        _stop(server)
