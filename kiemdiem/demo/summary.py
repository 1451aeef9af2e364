"""The demo summary's figures as sentences in the person's language: what is overdue, by
stage, and what the insights found (the JSON keeps the stored codes, for machines)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vocabulary import _, names, ngettext


def overdue_words(overdue: Mapping[str, int] | int) -> str:
    """{"self_review": 3, "vote": 1} as "4 (self-review 3, vote on the level 1)"."""
    if isinstance(overdue, int):
        return str(overdue)
    late = {stage: n for stage, n in overdue.items() if n}
    total = sum(late.values())
    if not total:
        return "0"
    by_stage = ", ".join(f"{names.STAGES.name(stage)} {n}" for stage, n in late.items())
    return f"{total} ({by_stage})"


def insights_words(insights: Mapping[str, Any] | None) -> str:
    """What the insights found, as one sentence: each formalism signal by its name and how
    often it was seen, the forecast's at-risk rows, the position groups' outliers."""
    if not insights:
        return _("no insights (the plan asks for none)")
    signals = ", ".join(
        f"{names.SIGNALS.name(signal)} {n}" for signal, n in insights["formalism"].items()
    )
    at_risk, outliers = insights["at_risk"], insights["position_outliers"]
    return "; ".join(
        [
            _("formalism signals: {signals}").format(signals=signals or _("none")),
            ngettext(
                "{n} organization and step at risk of lateness",
                "{n} organizations and steps at risk of lateness",
                at_risk,
            ).format(n=at_risk),
            ngettext(
                "{n} unit classified unlike its comparable positions",
                "{n} units classified unlike their comparable positions",
                outliers,
            ).format(n=outliers),
        ]
    )


__all__ = ["insights_words", "overdue_words"]
