"""What people do to units: the one service layer the CLI, the demo and pages call.

Each action lives beside the stage it belongs to; this module gathers them, and says what a
person may do to a unit now.
"""

from __future__ import annotations

from models.cycle import Unit
from states.approval import approve, return_for_review
from states.machine import UnitState, machine_for
from states.peer_review import comment
from states.self_review import submit_self_review
from states.service import ActionResult
from states.voting import vote


def allowed_actions(unit: Unit) -> list[str]:
    """What people can do to this unit now, for display."""
    machine = machine_for(unit.kind)
    return [t for t in machine.triggers(unit.state) if machine.move(t, unit.state).by == "person"]


__all__ = [
    "ActionResult",
    "UnitState",
    "allowed_actions",
    "approve",
    "comment",
    "return_for_review",
    "submit_self_review",
    "vote",
]
