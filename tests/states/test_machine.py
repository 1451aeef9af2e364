"""Every allowed and every refused move of both unit machines, against a spec written here."""

from __future__ import annotations

import pytest

from models import InvalidMove, UnitKind
from states import COLLECTIVE, INDIVIDUAL, MACHINES, UnitMachine, UnitState, machine_for
from states.guards import PERSON_GUARDS, TICK_CONDITIONS

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")

S = UnitState
# trigger -> (allowed sources, destination; None keeps the state)
SPEC: dict[str, tuple[set[UnitState], UnitState | None]] = {
    "start": ({S.PLAN_ISSUED}, S.SELF_REVIEW),
    "suggest": ({S.PLAN_ISSUED, S.SELF_REVIEW, S.RETURNED}, None),
    "submit_self_review": ({S.SELF_REVIEW, S.RETURNED}, S.PEER_REVIEW),
    "comment": ({S.PEER_REVIEW}, None),
    "give_opinion": ({S.PEER_REVIEW}, None),
    "open_vote": ({S.PEER_REVIEW}, S.VOTE),
    "vote": ({S.VOTE}, None),
    "close_vote": ({S.VOTE}, S.APPROVAL),
    "call_revote": ({S.VOTE}, S.VOTE),
    "approve": ({S.APPROVAL}, S.PUBLISHED),
    "return_for_review": ({S.APPROVAL}, S.RETURNED),
    "assign_shortcomings": ({S.PUBLISHED, S.REMEDIATION}, None),
    "begin_remediation": ({S.PUBLISHED}, S.REMEDIATION),
    "close": ({S.PUBLISHED}, S.CLOSED),
    "finish_remediation": ({S.REMEDIATION}, S.CLOSED),
}
CASES = [
    (machine, trigger, state) for machine in MACHINES for trigger in SPEC for state in UnitState
]


@pytest.mark.parametrize(
    ("machine", "trigger", "state"), CASES, ids=[f"{m.name}-{t}-{s.value}" for m, t, s in CASES]
)
def test_each_move_is_allowed_exactly_where_the_spec_says(
    machine: UnitMachine, trigger: str, state: UnitState
) -> None:
    sources, dest = SPEC[trigger]
    if state in sources:
        move = machine.move(trigger, state)
        assert move.dest == dest
    else:
        with pytest.raises(InvalidMove) as refused:
            machine.move(trigger, state)
        [why] = refused.value.refusals
        assert (why.code, why.fields["state"]) == ("invalid_move", state.value)
        assert set(why.fields["sources"]) == {s.value for s in sources}


def test_an_unknown_action_is_refused_by_name() -> None:
    with pytest.raises(InvalidMove, match="'publish' is not an action"):
        INDIVIDUAL.move("publish", S.APPROVAL)


def test_the_tables_have_no_moves_beyond_the_spec() -> None:
    for machine in MACHINES:
        assert {m.trigger for m in machine.moves} == set(SPEC)


def test_every_condition_has_an_implementation_of_the_right_kind() -> None:
    for machine in MACHINES:
        for move in machine.moves:
            known = PERSON_GUARDS if move.by == "person" else TICK_CONDITIONS
            assert set(move.conditions) <= set(known), (machine.name, move.trigger)


def test_collectives_and_individuals_differ_in_who_may_act() -> None:
    def authors(machine: UnitMachine) -> tuple[str, ...]:
        return machine.move("submit_self_review", S.SELF_REVIEW).conditions

    assert authors(INDIVIDUAL) == ("actor_is_subject",)
    assert authors(COLLECTIVE) == ("actor_heads_organization",)
    assert INDIVIDUAL.move("vote", S.VOTE).conditions != COLLECTIVE.move("vote", S.VOTE).conditions


def test_only_an_individual_waits_for_its_collective() -> None:
    for trigger in ("comment", "open_vote"):
        assert "collective_reviewed" in INDIVIDUAL.move(trigger, S.PEER_REVIEW).conditions
        assert "collective_reviewed" not in COLLECTIVE.move(trigger, S.PEER_REVIEW).conditions


@pytest.mark.parametrize("kind", list(UnitKind))
def test_each_kind_gets_its_machine(kind: UnitKind) -> None:
    assert machine_for(kind) is (COLLECTIVE if kind.is_collective else INDIVIDUAL)


def test_the_mermaid_diagram_draws_every_move_from_the_table() -> None:
    for machine in MACHINES:
        diagram = machine.mermaid()
        assert diagram.startswith("stateDiagram-v2")
        for move in machine.moves:
            for source in move.source:
                dest = (move.dest or source).value
                assert f"{source.value} --> {dest} : {move.trigger}" in diagram


def test_allowed_triggers_follow_the_table() -> None:
    assert INDIVIDUAL.triggers(S.PEER_REVIEW) == ["comment", "give_opinion", "open_vote"]
    assert INDIVIDUAL.triggers(S.CLOSED) == []
