"""Refusals of launching and closing cycles (states.closing)."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "cycle_units_open": N_(
        "cycle {cycle} still has {open} unit(s) not closed, so nothing was changed: a cycle is "
        "closed once every unit is"
    ),
}
