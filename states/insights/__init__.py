"""What no other tool sees: formalism signals, deadlines forecast before they are missed, and
comparable positions, as pure functions over the rows the cycle already has.

`cycle_insights` is what the CLI (`kiemdiem cycle insights`), the tick's artifact, the
workbook and the dashboard pages show: keys `formalism`, `forecast` and `comparison`, each a
list of objects naming organization and unit codes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.cycle import Cycle
from states.cycles import plan_of
from states.insights._pace import at_risk_rows
from states.insights._rows import CycleRows, load_rows
from states.insights._text import Match, Text, near_duplicates, normalise, similarity
from states.insights.comparison import comparison
from states.insights.forecast import Track, backtest, forecast, tracks
from states.insights.formalism import empty_praise, formalism

__all__ = [
    "CycleRows",
    "Match",
    "Text",
    "Track",
    "at_risk",
    "backtest",
    "comparison",
    "cycle_insights",
    "empty_praise",
    "forecast",
    "formalism",
    "load_rows",
    "near_duplicates",
    "normalise",
    "similarity",
    "tracks",
]


def cycle_insights(*, session: Session, cycle: Cycle, now: datetime) -> dict[str, Any]:
    """Formalism signals, the forecast and the comparison of positions at `now`."""
    rows = load_rows(session, cycle)
    return {
        "cycle": cycle.code,
        "now": now.isoformat(),
        "formalism": formalism(rows),
        "forecast": forecast(tracks(rows), now=now, plan=plan_of(cycle)),
        "comparison": comparison(rows),
    }


def at_risk(*, session: Session, cycle: Cycle, now: datetime) -> list[dict[str, Any]]:
    """The forecast rows to warn of now: at risk, within the plan's warning days of due.

    The same rows as `forecast(tracks(load_rows(…)))` keeps with `warn`, counted by the
    database (`_pace`): each tick's digests ask, over every unit of the cycle."""
    return at_risk_rows(session, cycle, now=now, plan=plan_of(cycle))
