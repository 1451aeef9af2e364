"""What people do to units: the one service layer the CLI, the demo and pages call.

Each action lives beside the stage it belongs to; this module gathers them, and says what a
person may do to a unit now.
"""

from __future__ import annotations

from models.cycle import Unit
from states.approval import approve, return_for_review
from states.machine import UnitState, machine_for
from states.peer_review import comment, give_opinion
from states.publication import published_results
from states.remediation import assign_shortcomings, report_remediation, supervise
from states.self_review import ShortcomingInput, self_review_form, submit_self_review
from states.service import ActionResult
from states.suggestions import suggest
from states.voting import close_vote, vote


def allowed_actions(unit: Unit) -> list[str]:
    """What people can do to this unit now, for display."""
    machine = machine_for(unit.kind)
    return [t for t in machine.triggers(unit.state) if machine.move(t, unit.state).by == "person"]


__all__ = [
    "ActionResult",
    "ShortcomingInput",
    "UnitState",
    "allowed_actions",
    "approve",
    "assign_shortcomings",
    "close_vote",
    "comment",
    "give_opinion",
    "published_results",
    "report_remediation",
    "return_for_review",
    "self_review_form",
    "submit_self_review",
    "suggest",
    "supervise",
    "vote",
]
