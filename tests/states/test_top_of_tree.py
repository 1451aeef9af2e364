"""The top of the tree: the launching committee's own units are decided above it, never by
itself, and a plan whose launching committee has nothing above it is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from models import ActionRefused, Level, PlanInvalid, load_settings, session_scope
from states import approve, launch, load_plan
from tests.factories import write_plan
from tests.states.helpers import act, launch_cycle, local, place, state

LAUNCH = local("2026-11-10 08:00")
NOW = local("2026-11-25 08:00")
BELOW_D = ["O:G1", "O:G2", "O:C1", "O:C2", "O:C3", "T:G1", "T:G2"]
TOP = ["O:D", "T:D", "L:B4"]  # the launching committee's collective, leadership and head


def _launch_refused(engine: Engine, tmp_path: Path, **plan: object) -> list[str]:
    with pytest.raises(PlanInvalid) as invalid, session_scope(engine) as session:
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path, **plan)),
            now=datetime(2026, 11, 1, tzinfo=UTC),
            settings=load_settings(),
        )
    return invalid.value.problems


def test_a_launching_committee_with_nothing_above_it_is_refused(
    district: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    (problem,) = _launch_refused(district, tmp_path, launched_by="P", pilots=None)
    assert problem.startswith("plan: higher_committee: P has no organization above it in the tree")
    (problem,) = _launch_refused(district, tmp_path, higher_committee="G1")
    assert problem == "plan: higher_committee: 'G1' is not an organization above D (above it: P)"
    (problem,) = _launch_refused(district, tmp_path, higher_committee="NOPE")
    assert problem == "plan: higher_committee: 'NOPE' is not an imported organization"


@pytest.fixture
def top(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH, higher_committee="P")
    for code in BELOW_D:
        place(district, code, "published", final_level=Level.GOOD, proposed_level=Level.GOOD)
    for code in TOP:
        place(district, code, "approval", proposed_level=Level.GOOD, score=80)
    return district


def _refusal(engine: Engine, codes: list[str], actor: str) -> str:
    with pytest.raises(ActionRefused) as refused:
        act(engine, approve, unit_codes=codes, actor_code=actor, now=NOW)
    return str(refused.value)


def test_a_committee_never_decides_its_own_collective_or_head(
    top: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    message = _refusal(top, ["O:D"], "B4")
    expected = "B4 (Nguyễn Văn B4) sits on D's committee and may not decide its own collective"
    assert f"{expected}; P decides it" in message
    assert "may not decide its own collective" in _refusal(top, ["T:D"], "B4")
    assert "may not decide their own review; P decides it" in _refusal(top, ["L:B4"], "B4")
    assert [state(top, code) for code in TOP] == ["approval"] * 3


def test_the_committee_above_decides_the_top_of_the_tree(top: Engine) -> None:
    act(top, approve, unit_codes=TOP, actor_code="PP", now=NOW)
    assert [state(top, code) for code in TOP] == ["published"] * 3
