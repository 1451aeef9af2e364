"""`kiemdiem unit approve|return|results`: the approving committee's decisions, and what a
member may see of them once published."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.table import Table

from kiemdiem.cli._common import (
    AsOption,
    CycleArg,
    LevelChoice,
    NowOption,
    UnitsArg,
    console,
    text,
    transaction,
)
from kiemdiem.cli.unit import app, perform
from vocabulary import N_, _, names

if TYPE_CHECKING:
    from models import Level


def _per_unit(pairs: list[str]) -> dict[str, Level]:
    """`--set M:A1=good` pairs; a malformed one is refused naming it and the levels."""
    from models import ActionRefused, Level

    levels: dict[str, Level] = {}
    known = ", ".join(level.value for level in Level)
    for pair in pairs:
        code, sep, value = pair.partition("=")
        if not sep or value.strip() not in {level.value for level in Level}:
            raise ActionRefused(
                _(
                    "--set {pair}: write CODE=LEVEL, e.g. M:A1=good; levels: {known}. "
                    "Nothing was changed."
                ).format(pair=repr(pair), known=known)
            )
        levels[code.strip()] = Level(value.strip())
    return levels


@app.command(
    "approve",
    help=N_("Decide the final level of units (the higher committee) and publish the results."),
)
def approve_(
    cycle: CycleArg,
    units: UnitsArg,
    as_: AsOption,
    level: LevelChoice | None = typer.Option(
        None, help=N_("Decide this level for every unit named.")
    ),
    set_: list[str] = typer.Option(
        [], "--set", help=N_("CODE=LEVEL: decide one unit's level (repeat for more).")
    ),
    reason: str | None = typer.Option(None, help=N_("Why a level is lowered; the unit reads it.")),
    conclusion: list[str] = typer.Option(
        [], help=N_("A shortcoming the committee concludes (repeat for more).")
    ),
    now: NowOption = None,
) -> None:
    from models import Level, load_settings, resolve_now
    from states import approve

    perform(
        approve,
        cycle_code=cycle,
        unit_codes=units,
        actor_code=as_,
        now=resolve_now(now),
        level=Level(level.value) if level else None,
        levels=_per_unit(set_),
        reason=reason,
        conclusions=conclusion,
        settings=load_settings(),
    )


@app.command("return", help=N_("Return units for re-review, with the reason they will read."))
def return_(
    cycle: CycleArg,
    units: UnitsArg,
    as_: AsOption,
    reason: str = typer.Option(..., help=N_("Why they are returned; the units read it.")),
    now: NowOption = None,
) -> None:
    from models import load_settings, resolve_now
    from states import return_for_review

    perform(
        return_for_review,
        cycle_code=cycle,
        unit_codes=units,
        actor_code=as_,
        now=resolve_now(now),
        reason=reason,
        settings=load_settings(),
    )


@app.command(
    "results",
    help=N_("The published results a member may see: their own and their organization's."),
)
def results(cycle: CycleArg, as_: AsOption, now: NowOption = None) -> None:
    from models import resolve_now
    from states.publication import published_results

    with transaction() as session:
        rows = published_results(session, cycle, as_, now=resolve_now(now) if now else None)
    if not rows:
        console.print(
            _("No results published for {member} in {cycle} yet.").format(
                member=text(as_), cycle=text(cycle)
            )
        )
        return
    table = Table(_("unit"), _("name"), _("kind"), _("level"), _("reason"))
    for row in rows:
        table.add_row(
            text(row["unit_code"]),
            text(row["unit_name"]),
            names.KINDS.name(row["kind"]),
            names.LEVELS.name(row["level"]),
            text(row["reason"] or ""),
        )
    console.print(table)
