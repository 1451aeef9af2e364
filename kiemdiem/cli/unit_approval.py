"""`kiemdiem unit approve|return|results`: the approving committee's decisions, and what a
member may see of them once published."""

from __future__ import annotations

import typer
from rich.table import Table

from kiemdiem.cli._common import AsOption, NowOption, console, transaction
from kiemdiem.cli.unit import Units, app, perform
from models import ActionRefused, Level, load_settings, resolve_now
from states import approve, return_for_review
from states.publication import published_results
from vocabulary import names


def _per_unit(pairs: list[str]) -> dict[str, Level]:
    """`--set M:A1=good` pairs; a malformed one is refused naming it and the levels."""
    levels: dict[str, Level] = {}
    known = ", ".join(level.value for level in Level)
    for pair in pairs:
        code, sep, value = pair.partition("=")
        if not sep or value.strip() not in {level.value for level in Level}:
            raise ActionRefused(
                f"--set {pair!r}: write CODE=LEVEL, e.g. M:A1=good; levels: {known}. "
                "Nothing was changed."
            )
        levels[code.strip()] = Level(value.strip())
    return levels


@app.command("approve")
def approve_(
    cycle: str,
    units: Units,
    as_: AsOption,
    level: Level | None = typer.Option(None, help="Decide this level for every unit named."),
    set_: list[str] = typer.Option(
        [], "--set", help="CODE=LEVEL: decide one unit's level (repeat for more)."
    ),
    reason: str | None = typer.Option(None, help="Why a level is lowered; the unit reads it."),
    conclusion: list[str] = typer.Option(
        [], help="A shortcoming the committee concludes (repeat for more)."
    ),
    now: NowOption = None,
) -> None:
    """Decide the final level of units (the higher committee) and publish the results."""
    perform(
        approve,
        cycle_code=cycle,
        unit_codes=units,
        actor_code=as_,
        now=resolve_now(now),
        level=level,
        levels=_per_unit(set_),
        reason=reason,
        conclusions=conclusion,
        settings=load_settings(),
    )


@app.command("return")
def return_(
    cycle: str, units: Units, as_: AsOption, reason: str = typer.Option(...), now: NowOption = None
) -> None:
    """Return units for re-review, with the reason they will read."""
    perform(
        return_for_review,
        cycle_code=cycle,
        unit_codes=units,
        actor_code=as_,
        now=resolve_now(now),
        reason=reason,
        settings=load_settings(),
    )


@app.command("results")
def results(cycle: str, as_: AsOption, now: NowOption = None) -> None:
    """The published results a member may see: their own and their organization's."""
    with transaction() as session:
        rows = published_results(session, cycle, as_, now=resolve_now(now) if now else None)
    if not rows:
        console.print(f"No results published for {as_} in {cycle} yet.")
        return
    table = Table("unit", "name", "kind", "level", "reason")
    for row in rows:
        table.add_row(
            row["unit_code"],
            row["unit_name"],
            names.KINDS.name(row["kind"]),
            names.LEVELS.name(row["level"]),
            row["reason"] or "",
        )
    console.print(table)
