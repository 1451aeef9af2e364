"""What the flow tests share: a real Prefect API, an imported district, SMTP settings."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine


@pytest.fixture
def wired(
    prefect_api: None, monkeypatch: pytest.MonkeyPatch, district: Engine, database_url: str
) -> tuple[Engine, str]:
    monkeypatch.setenv("KIEMDIEM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KIEMDIEM_SMTP_FROM", "kiemdiem@d.example.vn")
    return district, database_url
