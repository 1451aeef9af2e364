"""Refusals of a requested opinion (states.opinions): the wrong source, or not its speaker.

`{source}` and `{awaited}` are worded by `vocabulary.refusals` (the residence cell C2, the
office VP), never shown as the stored "residence:C2".
"""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "opinion_already_given": N_(
        "the opinion of {source} has already been given; opinions still awaited for this "
        "unit: {awaited}"
    ),
    "opinion_not_requested": N_(
        "no opinion of {source} was requested for this unit; opinions awaited for it: {awaited}"
    ),
    "residence_opinion_not_yours": N_(
        "{who} does not speak for {source}: the residence cell's opinion is entered by the "
        "head of {cell} or of a committee above it"
    ),
    "office_opinion_not_yours": N_(
        "{who} does not speak for {source}: an office's opinion is entered by the head of "
        "{launching}, whose office compiles them, or of the approving committee ({approving} "
        "or above)"
    ),
}
