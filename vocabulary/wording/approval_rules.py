"""Refusals of the approving committee's rules (states/approval_rules.py): the cap on
excellent, raising a level, a head above their collective, score bands, shortcomings left
unremedied. Level and kind fields are stored values; `vocabulary.refusals.word` names them."""

from __future__ import annotations

from vocabulary import N_

# A comparable group (states/groups.py `Group.label`): units of one kind within one organization.
GROUP_LABEL = N_("{kind} units within {org} ({name})")

WORDS: dict[str, str] = {
    "cap_on_excellent": N_(
        "cap on excellent ({rules}): among the {kind} units within {org} ({name}), "
        "{excellent} excellent would exceed {share} of {good} good (at most {limit}); decide "
        "fewer excellent, or decide the group's good levels in the same action"
    ),
    "raising_refused": N_(
        "raising {proposed} to {decided} is refused: the committee confirms or lowers the "
        "proposed level; to raise it, return the unit for re-review"
    ),
    "head_above_collective": N_(
        "{who} cannot be rated {level}, above {collective_level} decided for {collective}, "
        "the collective they lead (qd124: a head is not rated above the collective)"
    ),
    "band_needs_score": N_(
        "{level} needs a score of at least {floor} under {rules}; the self-review gave no "
        "score (return it for re-review to get one)"
    ),
    "band_score_low": N_(
        "{level} needs a score of at least {floor} under {rules}; the self-review scored {score}"
    ),
    "earlier_unremedied": N_(
        "cannot be rated {level}: shortcomings from earlier cycles are not remedied "
        "({listed}); {rules} requires all remedied"
    ),
}
