"""The insights sheets of the standing committee's workbook: formalism signals, the forecast,
levels per comparable position (states.insights), with headers in the current language.
The sheet names are msgids: the workbook translates them as it makes each sheet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from vocabulary import N_, _, names
from vocabulary.names import capitalized

FORMALISM = N_("Formalism signs")
FORECAST = N_("Progress forecast")
POSITIONS = N_("Position comparison")
SHEETS = (FORMALISM, FORECAST, POSITIONS)

SIGNALS = {
    "copied_self_review": N_("Self-reviews copied from each other"),
    "copied_from_last_year": N_("Shortcomings and remedies copied from last year"),
    "uniform_levels": N_("A whole cell at one level"),
    "all_top_levels": N_("A cell all at the top levels, against the district"),
    "unanimous_top_votes": N_("Unanimous top votes across rounds"),
    "hollow_comments": N_("Comments that only praise, or none"),
}
# A cell whose text starts like this would be read by Excel as a formula: people wrote it.
_FORMULA = ("=", "+", "-", "@")


def _evidence(signal: dict[str, Any]) -> str:
    evidence = signal["evidence"]
    if "texts" in evidence:
        return "\n---\n".join(f"{code}: {text}" for code, text in evidence["texts"].items())
    if "this_year" in evidence:
        now, then = evidence["this_year"], evidence["last_year"]
        this_year = _("This year: {shortcomings} / {remedies}").format(**now)
        last_year = _("Last year: {shortcomings} / {remedies}").format(**then)
        return f"{this_year}\n{last_year}"
    return "; ".join(f"{k}: {v}" for k, v in evidence.items() if not isinstance(v, dict | list))


def rows(insights: dict[str, Any]) -> dict[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]:
    """Each sheet's headers and rows."""
    return {
        FORMALISM: (
            [_("Sign"), _("Score (0–1)"), _("Organization"), _("Unit"), _("Grounds")],
            [
                [
                    _(SIGNALS[s["signal"]]) if s["signal"] in SIGNALS else s["signal"],
                    s["score"],
                    s["organization"],
                    ", ".join(s["units"]),
                    _evidence(s)[:30000],
                ]
                for s in insights["formalism"]
            ],
        ),
        FORECAST: (
            [
                _("Organization"),
                _("Step"),
                _("Units"),
                _("Done"),
                _("Pace (units/day)"),
                _("Projected to finish"),
                _("Due"),
                _("At risk of lateness"),
                _("Warning"),
            ],
            [
                [
                    f["organization"],
                    capitalized(names.STAGES.name(f["stage"])),
                    f["units"],
                    f["done"],
                    f["pace_per_day"],
                    f["projected"] or _("No progress yet"),
                    f["due"],
                    _("Yes") if f["at_risk"] else "",
                    _("Yes") if f["warn"] else "",
                ]
                for f in insights["forecast"]
            ],
        ),
        POSITIONS: (
            [
                _("Position group"),
                *names.LEVELS.values(),
                _("Rated"),
                _("Differences (unit: level)"),
            ],
            [
                [
                    g["position_group"],
                    *(g["levels"][level] for level in names.LEVELS),
                    g["rated"],
                    "; ".join(
                        f"{o['unit']} {o['name']} ({o['organization']}): "
                        f"{names.LEVELS.name(o['level'])}"
                        for o in g["outliers"]
                    ),
                ]
                for g in insights["comparison"]
            ],
        ),
    }


def as_text(ws: Any) -> None:
    """Keep every text a person wrote a text: never let Excel run it as a formula."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(_FORMULA):
                cell.data_type = "s"
