"""Refusals of the pages' area: people's actions from the CLI turned off, self-review fields."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "cli_people_actions_off": N_(
        "this office has turned off people's actions from the command line ({setting}=false): "
        "each person acts on the pages, from the link in their mail. Nothing was changed."
    ),
}
