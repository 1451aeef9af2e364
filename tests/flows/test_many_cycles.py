"""Many cycles on many workers: the same morning's ticks, one per cycle's own deployment, run by
one process worker and then by two on a copy of the same PostgreSQL database, leave the same
states, audit rows, outbox and mail, each mail received once (bench/many_cycles.py does
this at size and times it)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.many_cycles import (
    Shape,
    compare,
    cycle_code,
    deploy,
    morning,
    outcome,
    populate,
)
from tests.conftest import _admin, _url_of
from tests.flows.processes import _env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

CYCLES = 6


@pytest.fixture
def launched(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL database with CYCLES districts, each having launched its cycle; the
    mornings run on copies of it. Fails, never skips, without PostgreSQL."""
    prefix = f"kiemdiem_many_{uuid.uuid4().hex[:10]}"
    names = [f"{prefix}_{what}" for what in ("base", "one", "two")]
    _admin(f'CREATE DATABASE "{names[0]}"')
    try:
        populate(_url_of(names[0]), tmp_path, Shape(cycles=CYCLES), range(1, CYCLES + 1))
        for name in names[1:]:
            _admin(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"')
        yield prefix
    finally:
        for name in names:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_one_worker_and_two_tick_the_morning_alike(
    prefect_server: tuple[str, Path, str], launched: str, tmp_path: Path
) -> None:
    api, home, _ = prefect_server
    env = _env(
        api,
        home,
        KIEMDIEM_SMTP_HOST="127.0.0.1",
        KIEMDIEM_SMTP_FROM="kd@example.vn",
        KIEMDIEM_KEYS_DIR=str(tmp_path / "keys"),
    )
    launch_mail = {row[0] for row in outcome(_url_of(f"{launched}_base"))["outbox"]}
    deployments = deploy(api, [cycle_code(i) for i in range(1, CYCLES + 1)], env)
    assert sorted(deployments) == [f"MC-00{i}" for i in range(1, CYCLES + 1)]
    one, two = (
        morning(
            api=api,
            server_pid=None,
            deployments=deployments,
            database_url=_url_of(f"{launched}_{copy}"),
            workers=workers,
            limit=2,
            work=tmp_path,
            env=env,
            timeout=240,
        )
        for workers, copy in ((1, "one"), (2, "two"))
    )
    for m in (one, two):
        assert Counter(r["state_type"] for r in m.runs) == {"COMPLETED": CYCLES}
        assert sorted(r["name"] for r in m.runs) == [
            f"MC-00{i} · D00{i} · tick" for i in range(1, CYCLES + 1)
        ]
        # Every unit of every cycle started its self-review, once, at the morning's tick.
        states = Counter((code, state) for code, _, state in m.outcome["units"])
        assert states == {(cycle_code(i), "self_review"): 21 for i in range(1, CYCLES + 1)}
        starts = [a for a in m.outcome["audit"] if a[4] == "start"]
        assert len(starts) == 21 * CYCLES and len({a[:2] for a in starts}) == 21 * CYCLES
        assert Counter(code for code, _ in m.outcome["ticks"]) == {
            cycle_code(i): 1 for i in range(1, CYCLES + 1)
        }
        # Each pilot unit and its organization's address reminded, each message received once.
        ids = Counter(key for key, _ in m.mail)
        assert len(ids) == 6 * CYCLES and set(ids.values()) == {1}
        queued_today = {row[0] for row in m.outcome["outbox"]} - launch_mail
        assert {row[2].lower() for row in m.outcome["outbox"]} == {"sent"}
        assert set(ids) == queued_today
    # The two mornings: the same rows and the same mail (compare returns what differs).
    assert compare(one, two) == []
    for what in ("units", "audit", "escalations", "ticks", "outbox"):
        assert one.outcome[what] == two.outcome[what], what
    assert sorted(one.mail) == sorted(two.mail)
    # and the second morning's runs were shared by both workers.
    for k in (1, 2):
        log = (tmp_path / f"worker-2-{k}.log").read_text()
        assert any(f"submitting flow run '{r['id']}'" in log for r in two.runs), log
