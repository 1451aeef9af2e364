"""Review suggestions through the service layer: who may write them, to whom, and the mail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import ActionRefused, Suggestion, Unit, load_settings
from states import submit_self_review
from states.suggestions import suggest, suggestions_for
from tests.states.helpers import act, launch_cycle, local, outbox, review_form, snapshot, tick

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")

LAUNCH = local("2026-11-10 08:00")
TEXT = "Làm rõ việc chậm nộp đảng phí quý III và nguyên nhân chủ quan."


@pytest.fixture
def cycle(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH, inspection_commission=["E2"])
    return district


def _suggest(engine: Engine, units: list[str], actor: str, **kwargs: Any) -> Any:
    kwargs.setdefault("text", TEXT)
    return act(
        engine,
        suggest,
        unit_codes=units,
        actor_code=actor,
        now=LAUNCH,
        settings=load_settings(),
        **kwargs,
    )


def _suggestions(engine: Engine) -> list[tuple[str, str, str, str]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Unit.code, Suggestion.issuer_role, Suggestion.text, Suggestion.issued_by_id)
            .join(Unit, col(Unit.id) == col(Suggestion.unit_id))
            .order_by(col(Suggestion.id))
        ).all()
    return [(code, role, text, str(by)) for code, role, text, by in rows]


def _all(engine: Engine) -> tuple[Any, ...]:
    return snapshot(engine), _suggestions(engine)


def test_the_committee_above_its_standing_committee_and_the_inspection_commission_suggest(
    cycle: Engine,
) -> None:
    # Before the self-review stage has started: plan_issued allows suggestions.
    _suggest(cycle, ["M:A3", "O:C1"], "A2")  # heads G1, the committee above C1
    tick(cycle, LAUNCH)
    _suggest(cycle, ["M:A3"], "B4", text="Tự phê bình sâu hơn.")  # heads D, which launched
    _suggest(cycle, ["O:C2"], "E2", text="Làm rõ trách nhiệm.")  # the inspection commission
    _suggest(cycle, ["M:B3"], "PP", text="Nêu rõ kết quả.")  # heads P, above everything
    roles = [(code, role) for code, role, *_ in _suggestions(cycle)]
    assert roles == [
        ("M:A3", "committee"),
        ("O:C1", "committee"),
        ("M:A3", "standing"),
        ("O:C2", "inspection"),
        ("M:B3", "committee"),
    ]
    with Session(cycle) as session:
        a3 = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        assert a3.id is not None
        got = suggestions_for(session, [a3.id])[a3.id]
    assert [s.text for s in got] == [TEXT, "Tự phê bình sâu hơn."]


def test_each_suggested_unit_is_told_what_to_answer(
    cycle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "vi")  # it reads the Vietnamese mail
    _suggest(cycle, ["M:A3", "O:C1"], "A2")
    mails = {m.recipient: m for m in outbox(cycle, "suggestion")}
    assert set(mails) == {"a3@example.vn", "c1@example.vn"}
    a3 = mails["a3@example.vn"]
    with Session(cycle) as session:
        sid = session.exec(
            select(Suggestion.id)
            .join(Unit, col(Unit.id) == col(Suggestion.unit_id))
            .where(Unit.code == "M:A3")
        ).one()
    assert a3.key == f"suggestion:TT-2026:{sid}:M:A3"
    assert "Nguyễn Văn A2" in a3.body_text and TEXT in a3.body_text
    assert "phải trả lời gợi ý này" in a3.body_text and "20/11/2026" in a3.body_text
    assert f"Gợi ý kiểm điểm số {sid}" in a3.subject


@pytest.mark.parametrize(
    ("units", "actor", "message"),
    [
        (
            ["M:A3"],
            "A1",
            "M:A3: A1 (Nguyễn Văn A1) may not write review suggestions to this unit: only the "
            "head of its approving committee (G1) or of one above it, the standing committee "
            "of D, or a member of the plan's inspection_commission may",
        ),
        (["M:A3"], "B2", "M:A3: B2 (Nguyễn Văn B2) may not write review suggestions"),
        (
            ["M:A2"],
            "A2",
            "M:A2: A2 (Nguyễn Văn A2) may not write review suggestions to their own review",
        ),
        # One refused unit refuses the batch.
        (["M:A3", "M:B3"], "A2", "M:B3: A2 (Nguyễn Văn A2) may not write review suggestions"),
    ],
)
def test_who_may_not_suggest(
    cycle: Engine, units: list[str], actor: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    before = _all(cycle)
    with pytest.raises(ActionRefused) as refused:
        _suggest(cycle, units, actor)
    assert message in str(refused.value)
    last = str(refused.value).splitlines()[-1]
    assert last.startswith("Nothing was changed")
    if len(units) > 1:  # the unit that was not refused is said to be unchanged too
        assert "the other units named (M:A3) were not changed either" in last
    assert _all(cycle) == before


def test_a_suggestion_needs_text_and_a_role_the_writer_holds(cycle: Engine) -> None:
    before = _all(cycle)
    with pytest.raises(ActionRefused, match="a review suggestion needs text"):
        _suggest(cycle, ["M:A3"], "A2", text="  ")
    with pytest.raises(ActionRefused) as refused:
        _suggest(cycle, ["M:A3"], "A2", role="inspection")
    assert (
        "M:A3: A2 (Nguyễn Văn A2) does not write as inspection here; they may write as: "
        "committee" in str(refused.value)
    )
    with pytest.raises(ActionRefused, match="'ubkt' is not a role that writes suggestions"):
        _suggest(cycle, ["M:A3"], "E2", role="ubkt")
    assert _all(cycle) == before
    _suggest(cycle, ["M:A3"], "E2", role="inspection")
    assert [role for _, role, *_ in _suggestions(cycle)] == ["inspection"]


def test_no_suggestion_once_the_self_review_is_in(cycle: Engine) -> None:
    tick(cycle, LAUNCH)
    act(cycle, submit_self_review, unit_code="O:C1", actor_code="A1", now=LAUNCH, **review_form())
    before = _all(cycle)
    with pytest.raises(ActionRefused) as refused:
        _suggest(cycle, ["O:C1"], "A2")
    assert "O:C1: cannot write review suggestions to a unit that is in peer review" in str(
        refused.value
    )
    assert _all(cycle) == before
