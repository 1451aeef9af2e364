"""The unit state machines as data, their guards, the plan and rule sets, and the service
layer every front end calls (actions for people, advance and escalate for the tick).

Imported lazily (PEP 562): `states.X` loads the module that defines X when first asked for,
so a command that needs one service (`kiemdiem cycle status`) does not load every stage.
The person guards each stage registers are loaded on the first guard lookup
(`states.guards.PERSON_GUARDS`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from models._lazy import lazy_package

if TYPE_CHECKING:
    from states.actions import (
        ActionResult,
        ShortcomingInput,
        allowed_actions,
        approve,
        assign_shortcomings,
        close_vote,
        comment,
        give_opinion,
        published_results,
        report_remediation,
        return_for_review,
        self_review_form,
        submit_self_review,
        suggest,
        supervise,
        vote,
    )
    from states.advance import advance
    from states.escalation import EscalationResult, escalate
    from states.launch import LaunchSummary, launch
    from states.machine import (
        COLLECTIVE,
        INDIVIDUAL,
        MACHINES,
        STAGES,
        UnitMachine,
        UnitState,
        machine_for,
    )
    from states.plan import Plan, load_plan, parse_plan
    from states.status import cycle_status

# Each public name and the module that defines it.
_WHERE = {
    "ActionResult": "states.actions",
    "ShortcomingInput": "states.actions",
    "allowed_actions": "states.actions",
    "approve": "states.actions",
    "assign_shortcomings": "states.actions",
    "close_vote": "states.actions",
    "comment": "states.actions",
    "give_opinion": "states.actions",
    "published_results": "states.actions",
    "report_remediation": "states.actions",
    "return_for_review": "states.actions",
    "self_review_form": "states.actions",
    "submit_self_review": "states.actions",
    "suggest": "states.actions",
    "supervise": "states.actions",
    "vote": "states.actions",
    "advance": "states.advance",
    "EscalationResult": "states.escalation",
    "escalate": "states.escalation",
    "LaunchSummary": "states.launch",
    "launch": "states.launch",
    "COLLECTIVE": "states.machine",
    "INDIVIDUAL": "states.machine",
    "MACHINES": "states.machine",
    "STAGES": "states.machine",
    "UnitMachine": "states.machine",
    "UnitState": "states.machine",
    "machine_for": "states.machine",
    "Plan": "states.plan",
    "load_plan": "states.plan",
    "parse_plan": "states.plan",
    "cycle_status": "states.status",
}

__all__ = [
    "supervise",
    "suggest",
    "self_review_form",
    "report_remediation",
    "published_results",
    "give_opinion",
    "close_vote",
    "assign_shortcomings",
    "ShortcomingInput",
    "COLLECTIVE",
    "INDIVIDUAL",
    "MACHINES",
    "STAGES",
    "ActionResult",
    "EscalationResult",
    "LaunchSummary",
    "Plan",
    "UnitMachine",
    "UnitState",
    "advance",
    "allowed_actions",
    "approve",
    "comment",
    "cycle_status",
    "escalate",
    "launch",
    "load_plan",
    "machine_for",
    "parse_plan",
    "return_for_review",
    "submit_self_review",
    "vote",
]

lazy_package(__name__, _WHERE)
