"""`kiemdiem cycle insights CODE [--json]`: formalism, the forecast, comparable positions.

The tables name every signal, stage and level in the person's language (`vocabulary.names`)
and show days as dd/mm/yyyy; `--json` keeps the stored codes and ISO days, for machines."""

from __future__ import annotations

import json
from typing import Any

from rich.table import Table

from kiemdiem.cli._common import CycleArg, JsonOption, NowOption, console, transaction
from kiemdiem.cli.cycle import app
from vocabulary import N_, _, names
from vocabulary.dates import iso_day


def _cells(*values: Any) -> list[str]:
    """Every value as text (the console reads no markup: names and codes print as written)."""
    return ["" if v is None else str(v) for v in values]


def render_insights(result: dict[str, Any]) -> None:
    signals = Table(title=_("Formalism signals (for the committee to look at, not a verdict)"))
    for column in (_("signal"), _("score"), _("organization"), _("units")):
        signals.add_column(column, overflow="fold")
    for s in result["formalism"]:
        units = ", ".join(s["units"][:8]) + (" …" if len(s["units"]) > 8 else "")
        signals.add_row(
            *_cells(names.SIGNALS.name(s["signal"]), f"{s['score']:.2f}", s["organization"], units)
        )
    console.print(signals)
    forecast = Table(title=_("Forecast per organization and stage"))
    headers = (
        _("organization"),
        _("stage"),
        _("done"),
        _("per day"),
        _("projected"),
        _("due"),
        _("at risk"),
    )
    for i, column in enumerate(headers):
        # A day is never cut in two: the other columns fold around it.
        forecast.add_column(column, overflow="fold", no_wrap=i in (4, 5))
    for f in result["forecast"]:
        risk = _("warn") if f["warn"] else _("yes") if f["at_risk"] else ""
        forecast.add_row(
            *_cells(
                f["organization"],
                names.STAGES.name(f["stage"]),
                f"{f['done']}/{f['units']}",
                f["pace_per_day"],
                iso_day(f["projected"]) or _("no progress yet"),
                iso_day(f["due"]),
                risk,
            )
        )
    console.print(forecast)
    groups = Table(title=_("Levels per comparable position across the district"))
    for column in (_("position group"), _("levels"), _("outliers")):
        groups.add_column(column, overflow="fold")
    for g in result["comparison"]:
        levels = ", ".join(f"{names.LEVELS.name(k)} {v}" for k, v in g["levels"].items() if v)
        outliers = ", ".join(
            f"{o['unit']} ({names.LEVELS.name(o['level'])})" for o in g["outliers"][:6]
        )
        groups.add_row(*_cells(g["position_group"], levels, outliers))
    console.print(groups)


@app.command(help=N_("Formalism signals, the deadlines forecast, levels per comparable position."))
def insights(code: CycleArg, now: NowOption = None, json_output: JsonOption = False) -> None:
    from models import resolve_now
    from states.cycles import get_cycle
    from states.insights import cycle_insights

    with transaction() as session:
        result = cycle_insights(
            session=session, cycle=get_cycle(session, code), now=resolve_now(now)
        )
    if json_output:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        render_insights(result)
