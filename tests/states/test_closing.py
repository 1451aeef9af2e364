"""A cycle is closed once every unit is, and only then."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from models import ActionRefused, Cycle, Unit, session_scope
from states.closing import close_cycle
from states.cycles import get_cycle
from tests.states.helpers import CYCLE, launch_cycle, local


def test_a_cycle_closes_only_when_every_unit_has(
    district: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    launch_cycle(district, tmp_path, local("2026-11-10 08:00"))
    with session_scope(district) as session, pytest.raises(ActionRefused) as refused:
        close_cycle(session=session, cycle=get_cycle(session, CYCLE), now=local("2026-12-30 08:00"))
    (refusal,) = refused.value.refusals
    assert refusal.code == "cycle_units_open" and refusal.fields["open"] > 0
    assert "still has" in str(refused.value) and "not closed" in str(refused.value)
    with session_scope(district) as session:
        assert get_cycle(session, CYCLE).closed_at is None
        session.execute(update(Unit).values(state="closed"))
    at = local("2026-12-31 08:00")
    with session_scope(district) as session:
        assert close_cycle(session=session, cycle=get_cycle(session, CYCLE), now=at)
    with session_scope(district) as session:
        cycle = session.get(Cycle, get_cycle(session, CYCLE).id)
        assert cycle is not None and cycle.closed_at == at
        assert not close_cycle(session=session, cycle=cycle, now=local("2027-01-02 08:00"))
