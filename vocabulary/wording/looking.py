"""Refusals of the read-only views (states/looking.py)."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "unknown_organization": N_("no organization {code!r}"),
    "unknown_cycle": N_("no cycle {code!r}; cycles: {known}"),
    "no_cycle_yet": N_("no cycle {code!r}: no cycle has been launched yet"),
}
