"""Refusals of remediation: assigning shortcomings, reporting on them, supervising
(states/remediation/_people.py). `{who}` and `{owner}` are "CODE (Full Name)"."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "not_its_shortcoming": N_("shortcoming {id} is not one of its shortcomings"),
    "unknown_shortcoming": N_("no shortcoming {id}"),
    "shortcoming_already_assigned": N_("shortcoming {id} is already assigned to {owner}"),
    "shortcoming_already_split": N_("shortcoming {id} was already split among {owners}"),
    "unknown_member": N_("no member {code!r}; check the code in members.csv"),
    "owner_not_in_collective": N_(
        "{who} is neither a member of {org} nor on its committee; a collective's shortcoming "
        "goes to its own members"
    ),
    "due_date_past": N_("due date {day} is already past; give today or a later day"),
    "report_on_own_copy": N_(
        "shortcoming {id} was split among {owners}; each reports on their own copy"
    ),
    "not_the_owner": N_(
        "shortcoming {id} is {owner_code}'s ({owner_name}) to remedy; {who} cannot report on it"
    ),
    "unowned_report_by_head": N_(
        "shortcoming {id} of {unit} has no owner yet; only the head of {org} may report on "
        "it, not {who}"
    ),
    "already_remedied": N_("shortcoming {id} was already remedied on {day}"),
    "recorded_again": N_(
        "shortcoming {id} came back and was recorded again as shortcoming {successor}; "
        "report on that one"
    ),
    "not_inspection_commission": N_(
        "only the inspection commission of {cycle} ({commission}) supervises remediation, "
        "not {who}; the plan's inspection_commission names it"
    ),
    "no_inspection_commission": N_(
        "only the inspection commission of {cycle} supervises remediation, and the plan names "
        "nobody in it, so {who} cannot; the plan's inspection_commission names it"
    ),
}
