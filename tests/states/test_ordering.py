"""The order the rules require: a collective's self-review before its members' peer reviews
(refused for people, waited for by the tick), and approval from the bottom up."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from models import ActionRefused, Level
from states import approve, comment, submit_self_review
from tests.states.helpers import (
    act,
    launch_cycle,
    local,
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
    tick(district, LAUNCH)  # every unit in self_review
    return district


def _submit(engine: Engine, unit: str, actor: str) -> None:
    act(engine, submit_self_review, unit_code=unit, actor_code=actor, now=LAUNCH, **review_form())


def _comment(engine: Engine, unit: str, actor: str) -> None:
    act(engine, comment, unit_codes=[unit], actor_code=actor, now=LAUNCH, text="Đồng ý.")


@pytest.mark.parametrize(
    ("unit", "author", "commenter", "collective", "head", "message"),
    [
        (
            "M:A3",
            "A3",
            "A1",
            "O:C1",
            "A1",
            "M:A3: O:C1 (Chi bộ thôn 1) must submit its self-review before its members' peer "
            "reviews (it is in self-review)",
        ),
        (
            "L:A1",  # A1 heads a cell, which has no leadership unit: the cell is the collective
            "A1",
            "A3",
            "O:C1",
            "A1",
            "L:A1: O:C1 (Chi bộ thôn 1) must submit its self-review before its leaders' peer "
            "reviews (it is in self-review)",
        ),
        (
            "L:A2",
            "A2",
            "A1",
            "T:G1",
            "A2",
            "L:A2: T:G1 (Đảng ủy xã Thanh Sơn) must submit its self-review before its leaders' "
            "peer reviews (it is in self-review)",
        ),
    ],
)
def test_a_peer_review_waits_for_the_collectives_self_review(
    cycle: Engine, unit: str, author: str, commenter: str, collective: str, head: str, message: str
) -> None:
    _submit(cycle, unit, author)
    before = snapshot(cycle)
    with pytest.raises(ActionRefused) as refused:
        _comment(cycle, unit, commenter)
    assert str(refused.value) == f"{message}\nNothing was changed."
    assert snapshot(cycle) == before
    _submit(cycle, collective, head)
    _comment(cycle, unit, commenter)
    assert tick(cycle, LAUNCH)[0]["open_vote"] == 1 and state(cycle, unit) == "vote"


def test_the_tick_opens_an_individuals_vote_only_after_its_collective_submitted(
    cycle: Engine,
) -> None:
    _submit(cycle, "O:C1", "A1")
    _submit(cycle, "T:G1", "A2")
    for unit, author, commenter in (
        ("M:A3", "A3", "A1"),
        ("L:A1", "A1", "A3"),
        ("L:A2", "A2", "A1"),
    ):
        _submit(cycle, unit, author)
        _comment(cycle, unit, commenter)
    # The approving committee sends both collectives back before the tick runs: their
    # members' and leaders' votes wait for the reviews done again.
    place(cycle, "O:C1", "returned")
    place(cycle, "T:G1", "returned")
    assert tick(cycle, LAUNCH)[0]["open_vote"] == 0
    assert {state(cycle, u) for u in ("M:A3", "L:A1", "L:A2")} == {"peer_review"}
    _submit(cycle, "O:C1", "A1")  # the cell: its member and the one who heads it
    assert tick(cycle, LAUNCH)[0]["open_vote"] == 2
    assert (state(cycle, "M:A3"), state(cycle, "L:A1"), state(cycle, "L:A2")) == (
        "vote",
        "vote",
        "peer_review",
    )
    _submit(cycle, "T:G1", "A2")  # the grassroots committee's leadership: its head
    assert tick(cycle, LAUNCH)[0]["open_vote"] == 1
    assert state(cycle, "L:A2") == "vote"


def _in_approval(engine: Engine, *units: str) -> None:
    for unit in units:
        place(engine, unit, "approval", proposed_level=Level.GOOD, score=80)


@pytest.mark.parametrize(
    ("unit", "approver", "message"),
    [
        (
            "M:A3",
            "A2",
            "M:A3: waits for O:C1 (awaiting the higher level's decision): a collective is decided "
            "before its members; decide what it waits for first or in the same action",
        ),
        (
            "L:A1",
            "A2",
            "L:A1: waits for O:C1 (awaiting the higher level's decision): a collective is decided "
            "before the one who heads it; decide what it waits for first or in the same action",
        ),
        (
            "O:G1",
            "B4",
            "O:G1: waits for O:C1 (awaiting the higher level's decision): lower organizations are "
            "decided before higher ones; decide what it waits for first or in the same action",
        ),
        (
            "T:G1",
            "B4",
            "T:G1: waits for O:G1 (awaiting the higher level's decision): an organization is "
            "decided before its leadership; decide what it waits for first or in the same action",
        ),
        (
            "L:A2",
            "B4",
            "L:A2: waits for T:G1 (awaiting the higher level's decision): a collective is decided "
            "before the one who heads it; decide what it waits for first or in the same action",
        ),
        (
            "O:D",
            "PP",
            "O:D: waits for O:G1 (awaiting the higher level's decision), T:G1 (awaiting the "
            "higher level's decision), O:G2 (in self-review), T:G2 (in self-review): lower "
            "organizations are decided before higher ones; decide what it waits for first or in "
            "the same action",
        ),
    ],
)
def test_approving_out_of_order_is_refused_with_what_comes_first(
    cycle: Engine, unit: str, approver: str, message: str
) -> None:
    _in_approval(cycle, "O:C1", "O:G1", "T:G1", "M:A3", "L:A1", "L:A2", "O:D")
    before = snapshot(cycle)
    with pytest.raises(ActionRefused) as refused:
        act(cycle, approve, unit_codes=[unit], actor_code=approver, now=LAUNCH)
    assert str(refused.value) == f"{message}\nNothing was changed."
    assert snapshot(cycle) == before


def test_approving_in_order_in_one_action_or_one_after_another(cycle: Engine) -> None:
    _in_approval(cycle, "O:C1", "O:G1", "T:G1", "M:A3", "L:A1", "L:A2")
    # The cell, its member and its head at once (the cell named last: a batch has no order).
    act(cycle, approve, unit_codes=["M:A3", "L:A1", "O:C1"], actor_code="A2", now=LAUNCH)
    assert {state(cycle, u) for u in ("O:C1", "M:A3", "L:A1")} == {"published"}
    # Then the grassroots organization, its leadership, and its head, one after another.
    for unit in ("O:G1", "T:G1", "L:A2"):
        act(cycle, approve, unit_codes=[unit], actor_code="B4", now=LAUNCH)
        assert state(cycle, unit) == "published"
