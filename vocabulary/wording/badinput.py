"""Refusals of bad input: texts too long, clock values out of range, storage that fails."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "text_too_long": N_(
        "{field} is {length} characters long; it may be at most {limit} characters. Shorten "
        "it and try again. Nothing was changed."
    ),
    "text_control_character": N_(
        "{field} holds the control character {character}; remove it and try again. Nothing "
        "was changed."
    ),
    "date_out_of_range": N_(
        "{date} is out of range; give a date from {first} to {last}. Nothing was changed."
    ),
    "reimport_new_unit": N_(
        "cycle {cycle} is running and has no such unit: it would be created, with the "
        "cycle's due dates (already past ones make it overdue at once)"
    ),
    "reimport_moved": N_(
        "in running cycle {cycle} it moves from {before} to {after}: who votes on it and who "
        "approves it change"
    ),
    "reimport_head": N_(
        "in running cycle {cycle} the head of {organization} changes from {before} to "
        "{after}: who submits its self-review, closes its votes and approves below it changes"
    ),
    "reimport_revote": N_(
        "in running cycle {cycle} its open vote's voters change (new: {added}; no longer: "
        "{removed}): round {round} would start again as round {next}, its ballots set aside"
    ),
    "reimport_needs_confirm": N_(
        "These changes reach cycles that are running. Nothing was imported; check them and "
        "import again, confirming them, to apply them."
    ),
}
