"""People's actions through the service layer: each refusal with its message, each path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import (
    ActionRefused,
    AuditEntry,
    InvalidMove,
    Level,
    NotFound,
    StageDeadline,
    Unit,
    load_settings,
)
from states import approve, comment, return_for_review, submit_self_review, vote
from states.self_review import ShortcomingInput
from states.voting import close_vote
from tests.states.helpers import (
    act,
    launch_cycle,
    local,
    outbox,
    place,
    review_form,
    snapshot,
    state,
    tick,
)

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")

LAUNCH = local("2026-11-10 08:00")


@pytest.fixture
def cycle(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH)
    return district


def _submit(engine: Engine, unit: str, actor: str, level: Level = Level.GOOD, **form: Any) -> None:
    act(
        engine,
        submit_self_review,
        unit_code=unit,
        actor_code=actor,
        now=LAUNCH,
        **review_form(level, **form),
    )


def test_launch_creates_every_unit_with_pilot_deadlines(cycle: Engine) -> None:
    with Session(cycle) as session:
        units = {u.code: u for u in session.exec(select(Unit)).all()}
        assert set(units) == {
            "O:D",
            "O:G1",
            "O:G2",
            "O:C1",
            "O:C2",
            "O:C3",
            "T:D",
            "T:G1",
            "T:G2",
            "M:A1",
            "M:A2",
            "M:A3",
            "M:B1",
            "M:B2",
            "M:B3",
            "M:B4",
            "M:E1",
            "M:E2",
            "L:A1",
            "L:A2",
            "L:B1",
            "L:B2",
            "L:B4",
            "L:E1",
        }
        assert {c for c, u in units.items() if u.pilot} == {
            "O:G1",
            "T:G1",
            "O:C1",
            "M:A1",
            "M:A2",
            "M:A3",
            "L:A1",
            "L:A2",
        }
        due = {(d.unit_id, d.stage): d.due_at for d in session.exec(select(StageDeadline))}
        assert due[(units["M:A3"].id, "self_review")] == local("2026-11-21 00:00")
        assert due[(units["M:B3"].id, "self_review")] == local("2026-12-02 00:00")
    assert all(state(cycle, c) == "plan_issued" for c in ("M:A3", "O:D"))


def test_a_member_unit_walks_the_whole_way(cycle: Engine) -> None:
    tick(cycle, LAUNCH)
    _submit(cycle, "O:C1", "A1")  # the cell's own review comes first (000_)
    _submit(cycle, "M:A3", "A3", shortcomings=[ShortcomingInput("Chưa chủ động học tập.")])
    assert state(cycle, "M:A3") == "peer_review"
    act(cycle, comment, unit_codes=["M:A3"], actor_code="A1", now=LAUNCH, text="Đồng ý.")
    assert state(cycle, "M:A3") == "peer_review"
    assert tick(cycle, LAUNCH)[0]["open_vote"] == 1
    act(cycle, vote, ballots=dict.fromkeys(["M:A3"], Level.GOOD), actor_code="A1", now=LAUNCH)
    act(cycle, vote, ballots=dict.fromkeys(["M:A3"], Level.GOOD), actor_code="A2", now=LAUNCH)
    tick(cycle, LAUNCH)
    assert state(cycle, "M:A3") == "vote"  # the secretary closes the vote, not the tick
    act(cycle, close_vote, unit_codes=["M:A3"], actor_code="A1", now=LAUNCH)
    assert state(cycle, "M:A3") == "approval"
    place(cycle, "O:C1", "approval", proposed_level=Level.GOOD)
    act(cycle, approve, unit_codes=["O:C1", "M:A3"], actor_code="A2", now=LAUNCH)
    assert state(cycle, "M:A3") == "published"
    moved, _ = tick(cycle, LAUNCH)
    assert state(cycle, "M:A3") == "remediation"
    with Session(cycle) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        assert (unit.proposed_level, unit.final_level, unit.score) == (Level.GOOD, Level.GOOD, 80)
        trail = session.exec(
            select(AuditEntry).where(AuditEntry.unit_id == unit.id).order_by(AuditEntry.id)
        ).all()
    assert [(e.actor, e.from_state, e.to_state) for e in trail] == [
        ("tick", "plan_issued", "self_review"),
        ("A3", "self_review", "peer_review"),
        ("tick", "peer_review", "vote"),
        ("A1", "vote", "approval"),
        ("A2", "approval", "published"),
        ("tick", "published", "remediation"),
    ]


@pytest.mark.parametrize(
    ("action", "kwargs", "message"),
    [
        (
            submit_self_review,
            {"unit_code": "M:A3", "actor_code": "A3", **review_form()},
            "M:A3: cannot submit the self-review of a unit that is plan issued",
        ),
        (
            vote,
            {"ballots": {"M:A3": Level.GOOD}, "actor_code": "A1"},
            "M:A3: cannot vote on a unit that is plan issued; it is allowed only when it is: in "
            "the vote",
        ),
    ],
)
def test_acting_before_the_stage_is_refused(
    cycle: Engine, action: object, kwargs: dict[str, object], message: str
) -> None:
    before = snapshot(cycle)
    with pytest.raises(InvalidMove.__mro__[1]) as refused:  # ActionRefused
        act(cycle, action, now=LAUNCH, **kwargs)  # type: ignore[arg-type]
    assert message in str(refused.value)
    assert snapshot(cycle) == before


@pytest.mark.parametrize(
    ("unit", "actor", "message"),
    [
        ("M:A3", "A1", "only the member under review may do this, not A1"),
        ("O:C2", "A1", "A1 (Nguyễn Văn A1) does not head C2 or a committee above it"),
    ],
)
def test_only_the_author_submits(cycle: Engine, unit: str, actor: str, message: str) -> None:
    tick(cycle, LAUNCH)
    before = snapshot(cycle)
    with pytest.raises(ActionRefused, match=re.escape(message)):
        _submit(cycle, unit, actor)
    assert snapshot(cycle) == before


def test_a_head_submits_the_collective_review(cycle: Engine) -> None:
    tick(cycle, LAUNCH)
    _submit(cycle, "O:C2", "B1")
    _submit(cycle, "T:G2", "B4")  # B4 heads the district, above G2
    assert state(cycle, "O:C2") == state(cycle, "T:G2") == "peer_review"


def _to_vote(engine: Engine, unit: str, author: str, commenter: str) -> None:
    tick(engine, LAUNCH)
    cell, head = ("O:C1", "A1") if unit.endswith(("A1", "A2", "A3")) else ("O:C2", "B1")
    _submit(engine, cell, head)  # the collective before its members
    _submit(engine, unit, author)
    act(engine, comment, unit_codes=[unit], actor_code=commenter, now=LAUNCH, text="Ý kiến.")
    tick(engine, LAUNCH)
    assert state(engine, unit) == "vote"


def test_comments_and_votes_come_only_from_the_collective(cycle: Engine) -> None:
    tick(cycle, LAUNCH)
    _submit(cycle, "O:C1", "A1")
    _submit(cycle, "M:A3", "A3")
    before = snapshot(cycle)
    for outsider, reason in (
        ("A3", "not in the unit's collective"),
        ("B1", "not in the unit's collective"),
    ):
        with pytest.raises(ActionRefused, match=reason):
            act(cycle, comment, unit_codes=["M:A3"], actor_code=outsider, now=LAUNCH, text="x")
    with pytest.raises(ActionRefused, match="a comment needs text"):
        act(cycle, comment, unit_codes=["M:A3"], actor_code="A1", now=LAUNCH, text="  ")
    assert snapshot(cycle) == before


def test_a_voter_votes_once_and_a_mixed_refusal_writes_nothing(
    cycle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    _to_vote(cycle, "M:A3", "A3", "A1")
    act(cycle, vote, ballots=dict.fromkeys(["M:A3"], Level.GOOD), actor_code="A1", now=LAUNCH)
    before = snapshot(cycle)
    with pytest.raises(ActionRefused, match="A1 .* has already voted"):
        act(cycle, vote, ballots=dict.fromkeys(["M:A3"], Level.GOOD), actor_code="A1", now=LAUNCH)
    with pytest.raises(ActionRefused) as refused:
        act(
            cycle,
            vote,
            ballots=dict.fromkeys(["M:A3", "M:B3"], Level.GOOD),
            actor_code="A2",
            now=LAUNCH,
        )
    assert "M:B3: cannot vote on a unit that is in self-review" in str(refused.value)
    assert "Nothing was changed: refused for M:B3; the other units named (M:A3)" in str(
        refused.value
    )
    assert snapshot(cycle) == before


def test_an_unknown_code_is_named(cycle: Engine) -> None:
    with pytest.raises(NotFound, match="no unit 'M:ZZ'"):
        act(cycle, vote, ballots=dict.fromkeys(["M:ZZ"], Level.GOOD), actor_code="A1", now=LAUNCH)
    with pytest.raises(NotFound, match="no member 'ZZ'"):
        act(cycle, vote, ballots=dict.fromkeys(["M:A3"], Level.GOOD), actor_code="ZZ", now=LAUNCH)


def _to_approval(engine: Engine) -> None:
    _to_vote(engine, "M:B3", "B3", "B1")
    for voter in ("B1", "B2", "B4"):
        act(engine, vote, ballots=dict.fromkeys(["M:B3"], Level.GOOD), actor_code=voter, now=LAUNCH)
    act(engine, close_vote, unit_codes=["M:B3"], actor_code="B1", now=LAUNCH)
    assert state(engine, "M:B3") == "approval"
    # A member is decided after the cell (the ordering tests cover the cell's own way there).
    place(engine, "O:C2", "published", final_level=Level.GOOD)


def test_only_the_approving_committee_decides_and_lowering_needs_a_reason(cycle: Engine) -> None:
    _to_approval(cycle)
    before = snapshot(cycle)
    with pytest.raises(
        ActionRefused, match="B1 .* is not on the approving committee \\(G2 or above\\)"
    ):
        act(cycle, approve, unit_codes=["M:B3"], actor_code="B1", now=LAUNCH)
    with pytest.raises(
        ActionRefused, match="lowering Well completed duties to Completed duties needs a reason"
    ):
        act(cycle, approve, unit_codes=["M:B3"], actor_code="B2", now=LAUNCH, level=Level.COMPLETED)
    assert snapshot(cycle) == before
    act(
        cycle,
        approve,
        unit_codes=["M:B3"],
        actor_code="B4",
        now=LAUNCH,
        level=Level.COMPLETED,
        reason="Chưa hoàn thành chỉ tiêu phát triển đảng viên.",
    )
    assert state(cycle, "M:B3") == "published"


def test_returning_a_review_sets_a_new_due_date_and_tells_the_unit_why(cycle: Engine) -> None:
    _to_approval(cycle)
    with pytest.raises(ActionRefused, match="needs a reason"):
        act(
            cycle,
            return_for_review,
            unit_codes=["M:B3"],
            actor_code="B2",
            now=LAUNCH,
            reason=" ",
            settings=load_settings(),
        )
    act(
        cycle,
        return_for_review,
        unit_codes=["M:B3"],
        actor_code="B2",
        now=LAUNCH,
        reason="Bản kiểm điểm còn qua loa, hình thức.",
        settings=load_settings(),
    )
    assert state(cycle, "M:B3") == "returned"
    with Session(cycle) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:B3")).one()
        due = {
            d.stage: d.due_at
            for d in session.exec(select(StageDeadline).where(StageDeadline.unit_id == unit.id))
        }
    assert due["re_review"] == local("2026-11-18 00:00")  # 7 days from 10 Nov, end of day
    assert due["peer_review"] > due["re_review"]
    [mail] = outbox(cycle, "returned")
    assert mail.recipient == "b3@example.vn"
    assert "qua loa, hình thức" in mail.body_text and "17/11/2026" in mail.body_text
    later = local("2026-11-12 08:00")
    act(cycle, submit_self_review, unit_code="M:B3", actor_code="B3", now=later, **review_form())
    assert state(cycle, "M:B3") == "peer_review"
    # The resubmitted review is discussed again: last round's comment does not open the vote.
    assert tick(cycle, later)[0]["open_vote"] == 0
    act(cycle, comment, unit_codes=["M:B3"], actor_code="B1", now=later, text="Đã sửa.")
    assert tick(cycle, later)[0]["open_vote"] == 1
    # And voted on afresh: those who voted before vote again, in a new round.
    act(cycle, vote, ballots={"M:B3": Level.GOOD}, actor_code="B1", now=later)
    with Session(cycle) as session:
        assert session.exec(select(Unit.vote_round).where(Unit.code == "M:B3")).one() == 2
