"""`kiemdiem serve`'s morning tick runs the review-cycle flow on a real Prefect API once a
morning per running cycle."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from models import Tick, load_settings
from web.serve import tick_due_cycles


def test_the_morning_tick_runs_once(web_district: Engine, prefect_api: None) -> None:
    settings = load_settings()  # the clock: 17 Nov 09:00; the last tick was on the 16th
    assert tick_due_cycles(settings) == ["TT-2026"]
    assert tick_due_cycles(settings) == []
    with Session(web_district) as session:
        assert session.exec(select(func.count()).select_from(Tick)).one() == 2
