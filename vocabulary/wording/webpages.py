"""Refusals of the pages' own views and actions (states.views): the meeting, the approval
desk, the dashboard."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "name_a_unit": N_("name at least one unit. Nothing was changed."),
    "vote_opens_from_peer_review": N_(
        "the vote opens at the end of the peer review; this unit is now {state}. "
        "Nothing was changed."
    ),
    "vote_needs_comment": N_(
        "the meeting has not recorded a comment on the review under discussion yet; record "
        "at least one before opening the vote. Nothing was changed."
    ),
    "vote_awaits_opinions": N_(
        "an opinion requested for this review is still awaited; record it, or wait until its "
        "due time passes, before opening the vote. Nothing was changed."
    ),
    "vote_awaits_collective": N_(
        "the collective's own self-review comes first; the vote opens once it is submitted. "
        "Nothing was changed."
    ),
    "no_such_organization": N_("there is no organization {organization}."),
    "not_on_approving_committee": N_(
        "{person} does not head {organization} or a committee above it, so cannot decide its "
        "units' levels."
    ),
    "dashboard_not_yours": N_(
        "{person} neither heads an organization of cycle {cycle} nor leads one of its "
        "directing teams, so has no dashboard to watch."
    ),
    "unit_not_in_scope": N_("{person} does not follow the organization of this unit."),
}
