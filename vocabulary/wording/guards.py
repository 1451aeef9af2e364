"""Refusals of the person guards: who may make a move on a unit (states/guards.py and the
guards each stage registers with @person_guard). `{who}` is "CODE (Full Name)"."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "not_the_subject": N_("only the member under review may do this, not {who}"),
    "not_head": N_("{who} does not head {org} or a committee above it"),
    "not_in_collective": N_("{who} is not in the unit's collective"),
    "not_in_organization": N_("{who} is neither in {org} nor on the committee above it"),
    "not_a_voter": N_("{who} is not an eligible voter for this unit"),
    "already_voted": N_("{who} has already voted"),
    "not_approver": N_("{who} is not on the approving committee ({approving} or above)"),
    "done_by_tick": N_("“{trigger}” is done by the cycle's tick, not by a person"),
    "closes_own_vote": N_(
        "{who} cannot close the vote on their own review; the secretary of {org} ({name}) "
        "or of a committee above it closes it"
    ),
    "does_not_run_vote": N_(
        "{who} does not run this vote; the secretary of {org} ({name}) or of a committee "
        "above it closes it"
    ),
    "vote_not_quorate": N_(
        "only {cast} of {eligible} eligible voters have voted; the rule set {rules} needs "
        "more than {quorum} before the vote can close"
    ),
    "vote_did_not_carry": N_("the vote did not carry ({counted}); it goes to a revote"),
    "not_a_level_of_the_rules": N_(
        "{value!r} is not a level of the rule set {rules}; vote one of: {levels}"
    ),
    "vote_carried": N_(
        "the vote carried ({level}: {votes} of {cast}); close it instead of a revote"
    ),
    "vote_unopposed": N_(
        "nobody is eligible to vote, so the self-review's proposal ({level}) stands; close "
        "the vote instead of a revote"
    ),
    "not_head_or_approver": N_(
        "{who} neither heads {org} nor sits on its approving committee ({approving} or "
        "above); ask its secretary to assign its shortcomings"
    ),
    "suggests_to_own_review": N_("{who} may not write review suggestions to their own review"),
    "may_not_suggest": N_(
        "{who} may not write review suggestions to this unit: only the head of its approving "
        "committee ({approving}) or of one above it, the standing committee of {launching}, "
        "or a member of the plan's inspection_commission may"
    ),
    "office_does_not_act": N_("{name} is an organization's office, which does not act on units"),
    "not_a_persons_move": N_("“{trigger}” is not something a person does"),
    "speaks_for_no_awaited_opinion": N_(
        "{who} speaks for none of the opinions awaited ({awaited})"
    ),
}
