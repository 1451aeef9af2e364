"""`kiemdiem unit`: what members, secretaries and approvers do, `--as` the person acting."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from kiemdiem.cli._common import NowOption, console, transaction
from models import resolve_now
from states import ActionResult
from states.unit_view import unit_view
from vocabulary import _, names

app = typer.Typer(
    help="Act on units. Unit codes: O:<org>, T:<org> (leadership), M:<member>, L:<member>.",
    no_args_is_help=True,
)
Units = Annotated[list[str], typer.Argument(help="One or more unit codes.")]


def perform(action: Callable[..., ActionResult], **kwargs: Any) -> None:
    """Run a people's action in one transaction, then say what it did to each unit."""
    with transaction() as session:
        report(action(session=session, **kwargs))


def report(result: ActionResult) -> None:
    for code in result.units:
        if code in result.moved:
            before, after = result.moved[code]
            console.print(f"{code}: {before} → {after}")
        else:
            console.print(f"{code}: {result.trigger} recorded")


@app.command()
def show(
    cycle: str,
    unit: str,
    json_output: bool = typer.Option(False, "--json", help="Print it as JSON."),
    now: NowOption = None,
) -> None:
    """A unit's state, deadlines, suggestions, opinions, vote, shortcomings and history."""
    with transaction() as session:
        view = unit_view(session, cycle, unit, now=resolve_now(now))
    if json_output:
        print(json.dumps(view, ensure_ascii=False, indent=2))
        return
    console.print(
        f"{view['unit']} ({names.KINDS.name(view['kind'])}): "
        f"{names.STATES.name(view['state'])}; score {view['score']}, "
        f"proposed {names.LEVELS.name(view['proposed_level']) or '—'}, "
        f"final {names.LEVELS.name(view['final_level']) or '—'}; can: "
        f"{', '.join(view['can']) or 'nothing (the tick moves it)'}"
    )
    for d in view["deadlines"]:
        late = _(" (passed)") if d["passed"] else ""
        console.print(f"  {d['stage']}: due by the end of {d['due_local']}{late}")
    for line in view["suggestions"]:
        console.print(f"  suggestion {line}")
    for o in view["opinions"]:
        console.print(f"  opinion from {o['source']} (due {o['due_local']}): {o['status']}")
    if view["vote"]:
        v = view["vote"]
        if v["tally"] is None:  # a secret round still open: the ballots are sealed
            counts = _("how each voted stays sealed until the secretary closes the vote")
        else:
            counts = ", ".join(f"{k} {n}" for k, n in v["tally"].items()) or "no ballots yet"
        console.print(f"  vote round {v['round']} ({v['ballot']}): {v['voted']} voted; {counts}")
    for item in view["shortcomings"]:
        console.print(
            f"  shortcoming #{item['id']}"
            + (f" (part of #{item['split_from']})" if item["split_from"] else "")
            + f" ({item['status']}, owner {item['owner'] or '—'}, "
            f"due {item['due_local']}): {item['text']}"
        )
    table = Table("at (local)", "actor", "via", "move", "reason")
    for entry in view["history"]:
        via = entry["via"] + (f" ({entry['operator']})" if entry["operator"] else "")
        table.add_row(
            entry["at_local"],
            entry["actor"],
            via,
            entry["move"],
            entry["reason"] or "",
        )
    console.print(table)
