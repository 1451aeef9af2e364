"""What the demo and the one-off commands set around Prefect: the server's start from the
migrated template skips what the template already holds, unless the operator says otherwise,
and the client's "no limit on these tags" is held for the whole block only on the embedded API.
"""

from __future__ import annotations

import os
from pathlib import Path

import cachetools
import pytest
from prefect.concurrency import services

from kiemdiem.prefect_env import (
    _DONE_IN_THE_TEMPLATE,
    _copied,
    _no_limits_remembered,
    _set_unless_set,
)
from tests.models.test_storage_failures import disk_full_after

MIGRATE = "PREFECT_SERVER_DATABASE_MIGRATE_ON_START"
MIGRATE_OLD = "PREFECT_API_DATABASE_MIGRATE_ON_START"
BLOCKS = "PREFECT_SERVER_REGISTER_BLOCKS_ON_START"
BLOCKS_OLD = "PREFECT_API_BLOCKS_REGISTER_ON_START"


def test_the_template_start_sets_what_is_unset_and_takes_it_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (MIGRATE, MIGRATE_OLD, BLOCKS, BLOCKS_OLD):
        monkeypatch.delenv(name, raising=False)
    with _set_unless_set(_DONE_IN_THE_TEMPLATE):
        assert os.environ[MIGRATE] == "false"
        assert os.environ[BLOCKS] == "false"
    assert MIGRATE not in os.environ
    assert BLOCKS not in os.environ


def test_an_operators_setting_wins_under_either_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MIGRATE, raising=False)
    monkeypatch.setenv(MIGRATE_OLD, "true")
    monkeypatch.setenv(BLOCKS, "true")
    monkeypatch.delenv(BLOCKS_OLD, raising=False)
    with _set_unless_set(_DONE_IN_THE_TEMPLATE):
        assert MIGRATE not in os.environ  # the older name is set: Prefect reads that one
        assert os.environ[BLOCKS] == "true"
    assert os.environ[MIGRATE_OLD] == "true"
    assert os.environ[BLOCKS] == "true"


def test_no_limits_held_for_the_block_on_the_embedded_api_only() -> None:
    held = services._no_limits_cache
    with _no_limits_remembered(embedded=True):
        inside = services._no_limits_cache
        assert isinstance(inside, cachetools.TTLCache)
        assert inside is not held and inside.ttl > held.ttl and inside.maxsize == held.maxsize
    assert services._no_limits_cache is held
    with _no_limits_remembered(embedded=False):
        assert services._no_limits_cache is held
    assert services._no_limits_cache is held


def test_a_template_the_disk_cannot_hold_leaves_no_partial_copy(tmp_path: Path) -> None:
    """The template only saves time: a copy cut short by a full disk is taken back, and the
    server's own start migrates a fresh database (found by the tick's full-disk test once a
    demo had left a template in the cache)."""
    template = tmp_path / "template.db"
    template.write_bytes(b"x" * 256 * 1024)
    database = tmp_path / "home" / "prefect.db"
    with disk_full_after(64 * 1024):
        assert not _copied(template, database)
    assert not database.exists()
    assert _copied(template, database)
    assert database.read_bytes() == template.read_bytes()
