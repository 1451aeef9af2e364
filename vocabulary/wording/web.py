"""Refusals of the pages' area: people's actions from the CLI turned off, self-review fields."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "form_level_missing": N_("choose the level the unit proposes for itself"),
    "form_score_not_a_number": N_("'{text}' is not a score: write a whole number from 0 to 100"),
    "draft_too_late": N_(
        "the self-review can no longer be written: the unit is now {state}. Nothing was saved."
    ),
    # The self-review form (states.self_review), each beside its field on the page.
    "level_not_in_rules": N_("{level} is not a level of {rule_set}"),
    "criterion_unanswered": N_("criterion '{criterion}' has no answer"),
    "criterion_unknown": N_(
        "'{criterion}' is not a criterion of {rule_set}; its criteria are: {criteria}"
    ),
    "score_not_scored": N_("{rule_set} does not score reviews; leave the score out"),
    "score_missing": N_(
        "{rule_set} scores reviews: give the score (0 to 100) the unit gives itself"
    ),
    "score_out_of_range": N_("a score of {score} is outside 0..100"),
    "score_band": N_(
        "a score of {score} allows at most {most} under {rule_set} ({level} needs >= {needed}); "
        "lower the level or correct the score"
    ),
    "suggestion_unanswered": N_("suggestion {suggestion} has no answer"),
    "suggestion_unknown": N_(
        "an answer names suggestion #{id}, which the unit did not get; its suggestions: {ids}"
    ),
    "shortcoming_empty": N_("shortcoming {n} has no text"),
    "shortcoming_repeats_unknown": N_(
        "shortcoming {n} repeats #{repeats}, which is not one of the unit's carried-over "
        "shortcomings ({ids})"
    ),
    "carried_unanswered": N_(
        "carried-over shortcoming #{id} ('{text}', {status}) has no answer saying what was "
        "done about it"
    ),
    "carried_unknown": N_(
        "an answer names carried-over shortcoming #{id}, which the unit does not carry ({ids})"
    ),
    "cli_people_actions_off": N_(
        "this office has turned off people's actions from the command line ({setting}=false): "
        "each person acts on the pages, from the link in their mail. Nothing was changed."
    ),
}
