"""The approval desk on SQLite and on PostgreSQL (where approve's rule checks count each
comparable group under an advisory lock, taken here too for the read)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models import Level
from states.views import approval_view
from tests.states.helpers import CYCLE, launch_cycle, local, place
from vocabulary import use_language
from vocabulary.refusals import word


def test_the_desk_reads_alike_on_both_databases(district: Engine, tmp_path: Path) -> None:
    launch_cycle(district, tmp_path, local("2026-11-10 08:00"))
    place(district, "O:C1", "published", proposed_level=Level.GOOD, final_level=Level.GOOD)
    place(district, "M:A3", "approval", proposed_level=Level.GOOD, score=80)
    place(district, "M:A1", "approval", proposed_level=Level.EXCELLENT, score=95)
    with Session(district) as session, use_language("en"):
        desk = approval_view(session, CYCLE, "G1", "A2")
    assert [(c.excellent, c.good, c.ok) for c in desk.caps] == [(1, 1, False)]
    with use_language("en"):
        assert len(desk.problems) == 1 and "cap on excellent" in word(desk.problems[0])
