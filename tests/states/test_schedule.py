"""The morning tick's schedule: once a day at the configured local hour, read from the ticks
already recorded."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from models import session_scope
from states.schedule import cycles_due, last_morning
from tests.states.helpers import launch_cycle, local, tick

ZONE = "Asia/Ho_Chi_Minh"


def test_the_last_morning_is_today_after_the_hour_else_yesterday() -> None:
    assert last_morning(local("2026-11-20 06:00"), hour=6, zone=ZONE) == local("2026-11-20 06:00")
    assert last_morning(local("2026-11-20 05:59"), hour=6, zone=ZONE) == local("2026-11-19 06:00")


def test_a_cycle_is_due_once_each_morning(district: Engine, tmp_path: Path) -> None:
    launch_cycle(district, tmp_path, local("2026-11-16 08:00"))
    with session_scope(district) as session:
        assert cycles_due(session, local("2026-11-16 09:00"), hour=6, zone=ZONE) == ["TT-2026"]
    tick(district, local("2026-11-16 09:00"))
    with session_scope(district) as session:
        assert cycles_due(session, local("2026-11-16 23:00"), hour=6, zone=ZONE) == []
        assert cycles_due(session, local("2026-11-17 05:00"), hour=6, zone=ZONE) == []
        assert cycles_due(session, local("2026-11-17 06:00"), hour=6, zone=ZONE) == ["TT-2026"]
