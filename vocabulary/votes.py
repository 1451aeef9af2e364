"""A vote's outcome in words, from its counts (states.voting.Outcome keeps them as data).

Counts are (level value, ballots) pairs in the rule set's order; each level is worded by
its name in the current language, so the secretary reads "Hoàn thành tốt nhiệm vụ: 5/6".
"""

from __future__ import annotations

from collections.abc import Iterable

from vocabulary import _
from vocabulary.names import LEVELS


def counted(counts: Iterable[tuple[str, int]]) -> str:
    """The ballots per level, e.g. "Excellently completed duties 2, Completed duties 1"."""
    named = [_("{level} {n}").format(level=LEVELS.name(level), n=n) for level, n in counts if n]
    return ", ".join(named) or _("no ballots")


def outcome(
    level: str | None, votes: int, cast: int, counts: Iterable[tuple[str, int]], *, unopposed: bool
) -> str:
    """For the secretary: the level carried and its ballots, else the counts (a revote)."""
    if level is None:
        return counted(counts)
    if unopposed:
        return _("{level}: nobody is eligible to vote, the self-review's proposal").format(
            level=LEVELS.name(level)
        )
    return _("{level}: {votes} of {cast}").format(level=LEVELS.name(level), votes=votes, cast=cast)


__all__ = ["counted", "outcome"]
