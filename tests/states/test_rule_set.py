"""Rule sets are data: shipped files load, an office can add its own, bad files name the key,
and a cycle's vote follows its rule set."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import ActionRefused, Ballot, Level, PlanInvalid, RuleSetInvalid
from states import approve, parse_plan, vote
from states.cycles import _stored_plan
from states.rule_set import known_rule_sets, load_rule_set
from states.voting import close_vote
from tests.factories import PLAN
from tests.states.helpers import act, launch_cycle, local, place, snapshot, state

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")

OFFICE_RULES = {
    "name": "office-2026",
    "title": "Quy định riêng của huyện",
    "levels": ["excellent", "good", "completed", "not_completed"],
    "scored": False,
    "vote": {"quorum": 0.7, "majority": 0.5, "ballot": "open"},
}


@pytest.fixture
def office_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "rule-sets"
    directory.mkdir()
    monkeypatch.setenv("KIEMDIEM_RULE_SETS_DIR", str(directory))
    return directory


def _write(directory: Path, rules: dict[str, object], name: str = "office-2026") -> None:
    (directory / f"{name}.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), "utf-8")


def test_the_shipped_rule_sets_say_what_the_regulations_say() -> None:
    assert {"qd124-2023", "qd366-2025"} <= known_rule_sets()
    old, new = load_rule_set("qd124-2023"), load_rule_set("qd366-2025")
    assert not old.scored and old.excellent_cap and old.excellent_cap.share_of_good == 0.2
    assert new.scored and new.score_bands == {
        Level.EXCELLENT: 90,
        Level.GOOD: 70,
        Level.COMPLETED: 50,
    }
    assert new.excellent_requires_all_remedied and not old.excellent_requires_all_remedied
    assert new.vote.ballot == "secret" and "Tư tưởng chính trị" in new.criteria


def test_an_office_adds_its_own_rule_set_without_code(office_dir: Path) -> None:
    _write(office_dir, OFFICE_RULES)
    assert "office-2026" in known_rule_sets()
    assert parse_plan({**copy.deepcopy(PLAN), "rule_set": "office-2026"}).rule_set == "office-2026"


def test_a_bad_rule_set_file_is_refused_with_each_wrong_key(office_dir: Path) -> None:
    bad = {
        **OFFICE_RULES,
        "vote": {"quorum": 1.5, "majority": 0.5, "ballot": "show of hands"},
        "scored": True,
        "score_bands": {"excellent": 60, "good": 70},
    }
    del bad["title"]
    _write(office_dir, bad)
    with pytest.raises(RuleSetInvalid) as invalid:
        load_rule_set("office-2026")
    problems = "\n".join(invalid.value.problems)
    assert "office-2026.yaml: title: is required" in problems
    assert "office-2026.yaml: vote.quorum:" in problems
    assert "office-2026.yaml: vote.ballot:" in problems
    with pytest.raises(PlanInvalid) as refused:
        parse_plan({**copy.deepcopy(PLAN), "rule_set": "office-2026"}, source="plan.yaml")
    assert any(
        p.startswith("plan.yaml: rule_set: office-2026.yaml: ") for p in refused.value.problems
    )


def test_score_bands_must_fall_and_the_name_must_match_the_file(office_dir: Path) -> None:
    _write(
        office_dir,
        {
            **OFFICE_RULES,
            "scored": True,
            "score_bands": {"excellent": 60, "good": 70, "completed": 50},
        },
    )
    with pytest.raises(RuleSetInvalid, match="score_bands must fall"):
        load_rule_set("office-2026")
    _write(office_dir, {**OFFICE_RULES, "name": "other"})
    with pytest.raises(RuleSetInvalid, match="name: 'other' is not the file's name"):
        load_rule_set("office-2026")


def test_the_vote_follows_the_cycles_rule_set(
    district: Engine, tmp_path: Path, office_dir: Path
) -> None:
    _write(office_dir, OFFICE_RULES)  # quorum 0.7: two of three voters are not enough
    launch = local("2026-11-10 08:00")
    launch_cycle(district, tmp_path, launch, rule_set="office-2026")
    place(district, "M:B3", "vote", proposed_level=Level.GOOD)  # voters: B1, B2, B4
    for voter in ("B1", "B2"):
        act(district, vote, ballots={"M:B3": Level.GOOD}, actor_code=voter, now=launch)
    before = snapshot(district)
    with pytest.raises(ActionRefused) as refused:
        act(district, close_vote, unit_codes=["M:B3"], actor_code="B1", now=launch)
    assert str(refused.value) == (
        "M:B3: only 2 of 3 eligible voters have voted; the rule set office-2026 needs more "
        "than 70% before the vote can close\nNothing was changed."
    )
    assert snapshot(district) == before
    # The cycle keeps the rules it was launched with: loosening the file, or removing it,
    # changes nothing for it.
    _write(office_dir, {**OFFICE_RULES, "vote": {**OFFICE_RULES["vote"], "quorum": 0.1}})  # type: ignore[dict-item]
    with pytest.raises(ActionRefused, match="needs more than 70%"):
        act(district, close_vote, unit_codes=["M:B3"], actor_code="B1", now=launch)
    (office_dir / "office-2026.yaml").unlink()
    _stored_plan.cache_clear()  # as in a new process
    act(district, vote, ballots={"M:B3": Level.GOOD}, actor_code="B4", now=launch)
    act(district, close_vote, unit_codes=["M:B3"], actor_code="B1", now=launch)
    assert state(district, "M:B3") == "approval"
    with Session(district) as session:  # the office's rule set votes openly
        assert len(session.exec(select(Ballot)).all()) == 3
    place(district, "O:C2", "published", final_level=Level.GOOD)
    act(district, approve, unit_codes=["M:B3"], actor_code="B2", now=launch)  # reads the plan
    assert state(district, "M:B3") == "published"
