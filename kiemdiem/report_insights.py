"""The insights sheets of the standing committee's workbook: formalism signals, the forecast,
levels per comparable position (states.insights), with headers in the current language.
The sheet names are msgids: the workbook translates them as it makes each sheet."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from vocabulary import N_, _, names
from vocabulary.names import capitalized

FORMALISM = N_("Formalism signs")
FORECAST = N_("Progress forecast")
POSITIONS = N_("Position comparison")
SHEETS = (FORMALISM, FORECAST, POSITIONS)

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
                    names.SIGNALS.name(s["signal"]),
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
                    # Dates, not ISO text: the sheet shows them dd/mm/yyyy, and they sort.
                    date.fromisoformat(f["projected"]) if f["projected"] else _("No progress yet"),
                    date.fromisoformat(f["due"]),
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
