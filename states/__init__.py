"""The unit state machines as data, their guards, the plan and rule sets, and the service
layer every front end calls (actions for people, advance and escalate for the tick)."""

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
