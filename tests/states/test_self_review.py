"""The self-review form through the service layer: every refusal, all at once, nothing written."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import (
    ActionRefused,
    Level,
    RemediationStatus,
    SelfReview,
    Shortcoming,
    Suggestion,
    Unit,
    load_settings,
)
from states import submit_self_review
from states.rule_set import load_rule_set
from states.self_review import ShortcomingInput, self_review_form
from states.suggestions import suggest
from tests.states.helpers import act, launch_cycle, local, review_form, snapshot, state, tick

# These tests read the refusals' English words.
pytestmark = pytest.mark.usefixtures("english")

LAUNCH = local("2026-11-10 08:00")
CRITERIA = load_rule_set("qd366-2025").criteria


@pytest.fixture
def cycle(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH, inspection_commission=["E2"])
    tick(district, LAUNCH)
    return district


def _submit(engine: Engine, unit: str = "M:A3", actor: str = "A3", **form: Any) -> Any:
    return act(engine, submit_self_review, unit_code=unit, actor_code=actor, now=LAUNCH, **form)


def _suggest(engine: Engine, unit: str, actor: str, text: str) -> int:
    act(
        engine,
        suggest,
        unit_codes=[unit],
        actor_code=actor,
        now=LAUNCH,
        text=text,
        settings=load_settings(),
    )
    with Session(engine) as session:
        return session.exec(select(Suggestion.id).order_by(col(Suggestion.id).desc())).first()  # type: ignore[return-value]


def _reviews(engine: Engine) -> list[SelfReview]:
    with Session(engine) as session:
        return list(session.exec(select(SelfReview)).all())


def _refused(engine: Engine, **form: Any) -> str:
    """Submit M:A3's form; return the refusal after proving nothing was written."""
    before = snapshot(engine), len(_reviews(engine))
    with pytest.raises(ActionRefused) as refused:
        _submit(engine, **form)
    assert (snapshot(engine), len(_reviews(engine))) == before
    assert state(engine, "M:A3") == "self_review"
    message = str(refused.value)
    assert message.endswith("Nothing was changed.")
    return message


def test_a_complete_form_is_accepted_and_stored(cycle: Engine) -> None:
    result = _submit(
        cycle,
        **review_form(
            Level.GOOD,
            shortcomings=[ShortcomingInput("Chưa chủ động học tập.", "Chủ quan, ngại khó.")],
        ),
    )
    assert result.moved == {"M:A3": ("self_review", "peer_review")}
    (review,) = _reviews(cycle)
    assert review.score == 80 and json.loads(review.criteria_json) == dict.fromkeys(
        CRITERIA, "Đạt yêu cầu, có sản phẩm cụ thể."
    )
    assert json.loads(review.shortcomings_json) == [
        {"text": "Chưa chủ động học tập.", "cause": "Chủ quan, ngại khó.", "repeats": None}
    ]
    with Session(cycle) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
    assert (unit.proposed_level, unit.score, unit.has_shortcomings) == (Level.GOOD, 80, True)


def test_every_missing_criterion_is_named(cycle: Engine) -> None:
    answers = {CRITERIA[0]: "Vững vàng.", CRITERIA[2]: "  ", "Đoàn kết nội bộ": "Tốt."}
    message = _refused(cycle, **review_form(criteria=answers))
    for missing in (CRITERIA[1], CRITERIA[2], CRITERIA[3], CRITERIA[4]):
        assert f"M:A3: criterion '{missing}' has no answer" in message
    assert f"criterion '{CRITERIA[0]}'" not in message
    assert "M:A3: 'Đoàn kết nội bộ' is not a criterion of qd366-2025" in message


@pytest.mark.parametrize(
    ("level", "score", "message"),
    [
        (
            Level.EXCELLENT,
            85,
            "M:A3: a score of 85 allows at most Well completed duties under qd366-2025 "
            "(Excellently completed duties needs >= 90)",
        ),
        (
            Level.COMPLETED,
            40,
            "a score of 40 allows at most Did not complete duties under qd366-2025 (Completed "
            "duties needs >= 50)",
        ),
        (Level.GOOD, None, "M:A3: qd366-2025 scores reviews: give the score (0 to 100)"),
        (Level.GOOD, 101, "M:A3: a score of 101 is outside 0..100"),
        (Level.NOT_COMPLETED, -1, "M:A3: a score of -1 is outside 0..100"),
    ],
)
def test_the_score_must_allow_the_level(
    cycle: Engine, level: Level, score: int | None, message: str
) -> None:
    assert message in _refused(cycle, **review_form(level, score=score))


def test_a_lower_level_than_the_score_allows_is_accepted(cycle: Engine) -> None:
    _submit(cycle, **review_form(Level.COMPLETED, score=95))
    assert state(cycle, "M:A3") == "peer_review"


def test_every_suggestion_must_be_answered(cycle: Engine) -> None:
    first = _suggest(cycle, "M:A3", "A2", "Làm rõ việc chậm nộp đảng phí.")
    second = _suggest(cycle, "M:A3", "E2", "Nêu rõ nguyên nhân chủ quan.")
    message = _refused(cycle, **review_form(answers={first: "Đã nộp đủ từ tháng 10."}))
    assert (
        f"M:A3: suggestion #{second} from Nguyễn Văn E2: 'Nêu rõ nguyên nhân chủ quan.' "
        "has no answer" in message
    )
    assert f"#{first} " not in message
    message = _refused(cycle, **review_form(answers={first: "Đã nộp.", second: "", 999: "?"}))
    assert f"suggestion #{second} from Nguyễn Văn E2" in message
    assert (
        f"M:A3: an answer names suggestion #999, which the unit did not get; its suggestions: "
        f"#{first}, #{second}" in message
    )
    _submit(cycle, **review_form(answers={first: "Đã nộp.", second: "Do chủ quan."}))
    (review,) = _reviews(cycle)
    assert json.loads(review.answers_json) == {str(first): "Đã nộp.", str(second): "Do chủ quan."}


def test_a_unit_without_suggestions_may_not_answer_one(cycle: Engine) -> None:
    message = _refused(cycle, **review_form(answers={5: "Đã khắc phục."}))
    assert "an answer names suggestion #5, which the unit did not get; its suggestions: none" in (
        message
    )


def test_shortcomings_need_text_and_may_repeat_only_a_carried_one(cycle: Engine) -> None:
    message = _refused(
        cycle,
        **review_form(
            shortcomings=[ShortcomingInput(" "), ShortcomingInput("Chậm báo cáo.", repeats=7)]
        ),
    )
    assert "M:A3: shortcoming 1 has no text" in message
    assert (
        "M:A3: shortcoming 2 repeats #7, which is not one of the unit's carried-over "
        "shortcomings (it carries none)" in message
    )


def test_all_problems_are_listed_at_once(cycle: Engine) -> None:
    message = _refused(
        cycle,
        **review_form(Level.EXCELLENT, score=70, criteria={}, shortcomings=[ShortcomingInput("")]),
    )
    lines = message.splitlines()
    assert len(lines) == len(CRITERIA) + 3  # each criterion, the score, the shortcoming, the end
    assert lines[-1] == "Nothing was changed."


def _carried(monkeypatch: pytest.MonkeyPatch, *items: tuple[int, str, RemediationStatus]) -> None:
    """Last year's shortcomings of the unit, as states.remediation will return them."""
    rows = [
        Shortcoming(
            id=i,
            cycle_id=0,
            unit_id=0,
            unit_code="M:A3",
            source="self_review",
            text=text,
            status=status,
            recorded_at=datetime(2025, 12, 1),
        )
        for i, text, status in items
    ]
    monkeypatch.setattr("states.self_review.carried_over", lambda session, cycle, unit: rows)


def test_each_carried_shortcoming_not_remedied_needs_an_answer(
    cycle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _carried(
        monkeypatch,
        (41, "Chưa gương mẫu sinh hoạt.", RemediationStatus.OVERDUE),
        (42, "Chậm nộp báo cáo.", RemediationStatus.REMEDIED),
    )
    message = _refused(cycle, **review_form(carried={43: "?"}))
    assert (
        "M:A3: carried-over shortcoming #41 ('Chưa gương mẫu sinh hoạt.', overdue) has no answer "
        "saying what was done about it" in message
    )
    assert "#42 (" not in message  # remedied: nothing more to say
    assert "an answer names carried-over shortcoming #43, which the unit does not carry " in (
        message
    )
    repeated = [ShortcomingInput("Vẫn chưa gương mẫu.", "Chủ quan.", repeats=41)]
    _submit(cycle, **review_form(carried={41: "Đã sửa một phần."}, shortcomings=repeated))
    (review,) = _reviews(cycle)
    assert json.loads(review.carried_json) == {"41": "Đã sửa một phần."}
    assert json.loads(review.shortcomings_json)[0]["repeats"] == 41


def test_the_form_shows_what_to_answer(cycle: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = _suggest(cycle, "M:A3", "A2", "Làm rõ việc chậm nộp đảng phí.")
    _carried(monkeypatch, (41, "Chưa gương mẫu.", RemediationStatus.IN_PROGRESS))
    with Session(cycle) as session:
        form = self_review_form(session, "TT-2026", "M:A3")
    assert form["criteria"] == CRITERIA and form["scored"] is True
    assert form["score_bands"] == {"excellent": 90, "good": 70, "completed": 50}
    assert form["due_local"] == "20/11/2026" and form["state"] == "self_review"
    assert form["suggestions"] == [
        {
            "id": sid,
            "from": "Nguyễn Văn A2",
            "role": "committee",
            "at": "10/11/2026 08:00",
            "text": "Làm rõ việc chậm nộp đảng phí.",
        }
    ]
    assert [(c["id"], c["status"], c["needs_answer"]) for c in form["carried_over"]] == [
        (41, "in_progress", True)
    ]


def test_an_unscored_rule_set_takes_no_score(district: Engine, tmp_path: Path) -> None:
    launch_cycle(district, tmp_path, LAUNCH, rule_set="qd124-2023")
    tick(district, LAUNCH)
    form = review_form(Level.EXCELLENT, score=None)
    message = _refused(district, **{**form, "score": 95})
    assert "M:A3: qd124-2023 does not score reviews; leave the score out" in message
    _submit(district, **form)
    assert state(district, "M:A3") == "peer_review"
    with Session(district) as session:
        assert self_review_form(session, "TT-2026", "M:A3")["scored"] is False
