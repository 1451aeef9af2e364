"""Refusals of the order the rules require (states/ordering.py): a collective's self-review
before its members' peer reviews, and approval from the bottom up. `{waiting}` lists the
units still undecided, each with its state."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "collective_not_reviewed_for_members": N_(
        "{collective} ({name}) must submit its self-review before its members' peer reviews "
        "(it is {state})"
    ),
    "collective_not_reviewed_for_leaders": N_(
        "{collective} ({name}) must submit its self-review before its leaders' peer reviews "
        "(it is {state})"
    ),
    "waits_for_collective": N_(
        "waits for {waiting}: a collective is decided before its members; decide what it "
        "waits for first or in the same action"
    ),
    "waits_for_headed_collective": N_(
        "waits for {waiting}: a collective is decided before the one who heads it; decide "
        "what it waits for first or in the same action"
    ),
    "waits_for_organization": N_(
        "waits for {waiting}: an organization is decided before its leadership; decide what "
        "it waits for first or in the same action"
    ),
    "waits_for_lower_organizations": N_(
        "waits for {waiting}: lower organizations are decided before higher ones; decide "
        "what it waits for first or in the same action"
    ),
}
