"""The demo's simulated people follow the process the service enforces: over a whole cycle on a
generated district, nothing they do is refused, and every stage of the process is reached."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from kiemdiem.demo.generate import generate
from kiemdiem.demo.simulate import People, act_for_a_day
from models import Opinion, Shortcoming, Suggestion, Unit, load_settings, session_scope
from models.org_import import import_organizations
from states import advance, launch, load_plan
from states.cycles import get_cycle

# Builds a wheel, runs the simulated people or a Prefect server: not for the minute loop.
pytestmark = pytest.mark.slow

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
START = date(2026, 11, 23)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZONE)


def test_simulated_people_run_a_whole_cycle_without_a_refusal(
    engine: Engine, tmp_path: Path
) -> None:
    district = generate(tmp_path, seed=11, members=120, grassroots=4, cells=12, start=START)
    settings = load_settings()
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=district.organizations_csv,
            members_csv=district.members_csv,
        )
        launch(
            session=session,
            plan=load_plan(district.plan_yaml),
            now=_at(START, 8),
            settings=settings,
        )
    people = People(seed=11)
    for offset in range(1, 25):
        day = START + timedelta(days=offset)
        with session_scope(engine) as session:
            advance(session=session, cycle=get_cycle(session, district.cycle_code), now=_at(day, 8))
        act_for_a_day(
            engine=engine,
            cycle_code=district.cycle_code,
            people=people,
            now=_at(day, 14),
            settings=settings,
        )
    assert dict(people.refused) == {}
    for verb in ("suggest", "submit", "opinion", "comment", "vote", "close_vote", "approve"):
        assert people.actions[verb] > 0, verb
    with Session(engine) as session:
        states = Counter(u.state for u in session.exec(select(Unit)))
        assert session.exec(select(Suggestion)).first() is not None
        assert session.exec(select(Opinion)).first() is not None
        assert session.exec(select(Shortcoming)).first() is not None
    # The prompt majority finish; the absent few are still where they stopped.
    assert states["closed"] > sum(states.values()) / 2
