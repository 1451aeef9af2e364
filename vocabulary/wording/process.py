"""Refusals of the process itself: the state machine, the service layer's common checks,
text a move needs, the approving committee's choices and remediation (states/)."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "nothing_changed": N_("Nothing was changed."),
    "no_units": N_("name at least one unit"),
    "unknown_action": N_("{action!r} is not an action of the {machine} machine"),
    "invalid_move": N_(
        "cannot {action} a unit that is {state}; it is allowed only when it is: {sources}"
    ),
    "comment_needs_text": N_("a comment needs text"),
    "opinion_needs_text": N_("an opinion needs text"),
    "suggestion_needs_text": N_(
        "a review suggestion needs text the unit will answer in its self-review"
    ),
    "return_needs_reason": N_("returning a review needs a reason the unit will read"),
    "writes_not_as_role": N_("{who} does not write as {role} here; they may write as: {roles}"),
    "unknown_role": N_("{role!r} is not a role that writes suggestions; roles are {roles}"),
    "unknown_status": N_("no status {status!r}; statuses are {statuses}"),
    "cycle_launched_with_another_plan": N_(
        "cycle {cycle} was launched on {day} with another plan; give the new plan another code"
    ),
    "no_level_to_confirm": N_("has no proposed level to confirm; decide one"),
    "lowering_needs_reason": N_(
        "lowering {proposed} to {decided} needs a reason the unit will read"
    ),
    "level_for_unit_not_decided": N_(
        "a level is given for a unit that is not among the units decided; name it too"
    ),
    "owner_required": N_("name at least one owner"),
    "evidence_required": N_("say what was done; a report without evidence is not recorded"),
    "supervision_note_required": N_("write the supervision note"),
}
