"""Refusals of bad input: texts too long, clock values out of range, storage that fails."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "text_too_long": N_(
        "{field} is {length} characters long; it may be at most {limit} characters. Shorten "
        "it and try again. Nothing was changed."
    ),
    "date_out_of_range": N_(
        "{date} is out of range; give a date from {first} to {last}. Nothing was changed."
    ),
}
