"""The links in mail point at the pages actually served, unless the office names its own URL."""

from __future__ import annotations

import pytest

from models import load_settings
from web.serve import served_settings


def test_links_follow_the_port_served_when_no_base_url_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KIEMDIEM_BASE_URL", raising=False)
    monkeypatch.setenv("KIEMDIEM_SERVE_PORT", "8765")
    assert served_settings(load_settings()).base_url == "http://127.0.0.1:8765"


def test_the_offices_base_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_BASE_URL", "https://kiemdiem.huyen.vn")
    monkeypatch.setenv("KIEMDIEM_SERVE_PORT", "8765")
    assert served_settings(load_settings()).base_url == "https://kiemdiem.huyen.vn"
