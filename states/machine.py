"""The unit state machines, declared as data: one transition table per kind, built once.

A `transitions.Machine` with no model is the table; rows are moved in bulk by SQL that the
table has checked, so thousands of units cost what their rows cost, not a machine each.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from transitions import Machine

from models.cycle import UnitKind
from models.errors import InvalidMove, Refusal


class UnitState(StrEnum):
    PLAN_ISSUED = "plan_issued"
    SELF_REVIEW = "self_review"
    PEER_REVIEW = "peer_review"
    VOTE = "vote"
    APPROVAL = "approval"
    PUBLISHED = "published"
    REMEDIATION = "remediation"
    CLOSED = "closed"
    RETURNED = "returned"


# Stages with a due date in the plan, in order; a unit is overdue in the one its state names.
STAGES: tuple[str, ...] = ("self_review", "peer_review", "vote", "approval")
# A unit returned for re-review gets a new due date under a stage of its own, so the ladder
# for its second self-review starts afresh instead of counting as already escalated.
RE_REVIEW = "re_review"
STAGE_OF_STATE: dict[UnitState, str] = {
    UnitState.SELF_REVIEW: "self_review",
    UnitState.PEER_REVIEW: "peer_review",
    UnitState.VOTE: "vote",
    UnitState.APPROVAL: "approval",
    UnitState.RETURNED: RE_REVIEW,
    # Due at the earliest open shortcoming's due date, set when shortcomings are recorded.
    UnitState.REMEDIATION: "remediation",
}


@dataclass(frozen=True)
class Move:
    """One row of a transition table; dest None is an action that keeps the state."""

    trigger: str
    source: tuple[UnitState, ...]
    dest: UnitState | None
    by: Literal["person", "tick"]
    conditions: tuple[str, ...] = ()


S = UnitState


def _moves(*, author: str, peer: str, voter: str, individual: bool) -> list[Move]:
    """The shared shape of both machines; who may act is where collectives and members differ.

    An individual's peer review waits for its collective's self-review (the collective's review
    is the basis of its members', 000_); approval waits for the units that must be decided
    first (a collective before its members and its head, lower organizations before higher).
    """
    approver = "actor_on_approving_committee"
    secretary = "actor_runs_the_vote"
    collective_first = ("collective_reviewed",) if individual else ()
    return [
        Move("start", (S.PLAN_ISSUED,), S.SELF_REVIEW, "tick"),
        Move(
            "suggest",
            (S.PLAN_ISSUED, S.SELF_REVIEW, S.RETURNED),
            None,
            "person",
            ("actor_may_suggest",),
        ),
        Move("submit_self_review", (S.SELF_REVIEW, S.RETURNED), S.PEER_REVIEW, "person", (author,)),
        Move("comment", (S.PEER_REVIEW,), None, "person", (peer, *collective_first)),
        Move("give_opinion", (S.PEER_REVIEW,), None, "person", ("actor_speaks_for_source",)),
        Move(
            "open_vote",
            (S.PEER_REVIEW,),
            S.VOTE,
            "tick",
            ("has_comments", "opinions_settled", *collective_first),
        ),
        Move("vote", (S.VOTE,), None, "person", (voter, "has_not_voted")),
        Move("close_vote", (S.VOTE,), S.APPROVAL, "person", (secretary, "vote_carried")),
        Move("call_revote", (S.VOTE,), S.VOTE, "person", (secretary, "vote_not_carried")),
        Move("approve", (S.APPROVAL,), S.PUBLISHED, "person", (approver, "prerequisites_decided")),
        Move("return_for_review", (S.APPROVAL,), S.RETURNED, "person", (approver,)),
        Move(
            "assign_shortcomings",
            (S.PUBLISHED, S.REMEDIATION),
            None,
            "person",
            ("actor_heads_or_approves",),
        ),
        Move(
            "begin_remediation",
            (S.PUBLISHED,),
            S.REMEDIATION,
            "tick",
            ("has_shortcomings", "shortcomings_owned"),
        ),
        Move("close", (S.PUBLISHED,), S.CLOSED, "tick", ("has_no_shortcomings",)),
        Move("finish_remediation", (S.REMEDIATION,), S.CLOSED, "tick", ("all_remedied",)),
    ]


class UnitMachine:
    """A named transition table, checked once by `transitions` when it is built."""

    def __init__(self, name: str, moves: list[Move]) -> None:
        self.name = name
        self.moves = moves
        self._table = Machine(
            model=None,
            states=UnitState,
            transitions=[
                {
                    "trigger": m.trigger,
                    "source": list(m.source),
                    "dest": m.dest,
                    "conditions": list(m.conditions),
                }
                for m in moves
            ],
            initial=UnitState.PLAN_ISSUED,
            auto_transitions=False,
        )

    def move(self, trigger: str, source: str) -> Move:
        """The move `trigger` makes from `source`, or InvalidMove saying where it is allowed."""
        state = UnitState(source)
        if not self._table.get_transitions(trigger=trigger, source=state.name):
            allowed = [m for m in self.moves if m.trigger == trigger]
            if not allowed:
                raise InvalidMove(
                    Refusal("unknown_action", fields={"action": trigger, "machine": self.name})
                )
            sources = tuple(s.value for m in allowed for s in m.source)
            raise InvalidMove(
                Refusal(
                    "invalid_move",
                    fields={
                        "action": trigger,
                        "state": state.value,
                        "sources": sources,
                    },
                )
            )
        return next(m for m in self.moves if m.trigger == trigger and state in m.source)

    def triggers(self, source: str) -> list[str]:
        """Every action allowed from `source`, in declaration order."""
        names = self._table.get_triggers(UnitState(source).name)
        return [m.trigger for m in self.moves if m.trigger in names]

    def mermaid(self) -> str:
        """The machine as a Mermaid state diagram, generated from the table itself."""
        lines = ["stateDiagram-v2", f"    %% {self.name} machine", "    [*] --> plan_issued"]
        for m in self.moves:
            label = m.trigger + (f" [{', '.join(m.conditions)}]" if m.conditions else "")
            for source in m.source:
                dest = (m.dest or source).value
                lines.append(f"    {source.value} --> {dest} : {label}")
        lines.append("    closed --> [*]")
        return "\n".join(lines)


INDIVIDUAL = UnitMachine(
    "individual",
    _moves(
        author="actor_is_subject",
        peer="actor_in_same_cell",
        voter="actor_votes_in_cell",
        individual=True,
    ),
)
COLLECTIVE = UnitMachine(
    "collective",
    _moves(
        author="actor_heads_organization",
        peer="actor_in_organization",
        voter="actor_on_committee_above",
        individual=False,
    ),
)
MACHINES = (INDIVIDUAL, COLLECTIVE)


def machine_for(kind: UnitKind) -> UnitMachine:
    """The transition table a unit of this kind follows."""
    return COLLECTIVE if kind.is_collective else INDIVIDUAL
