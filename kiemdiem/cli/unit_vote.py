"""`kiemdiem unit vote`: a voter's ballot paper, and the secretary closing the vote."""

from __future__ import annotations

import typer

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
from vocabulary import N_, _


@app.command("vote", help=N_("Vote on the level of one or more units."))
def vote_(
    cycle: CycleArg,
    units: UnitsArg,
    as_: AsOption,
    level: LevelChoice = typer.Option(..., help=N_("The level voted for every unit named.")),
    now: NowOption = None,
) -> None:
    from models import Level, resolve_now
    from states import vote

    perform(
        vote,
        cycle_code=cycle,
        ballots=dict.fromkeys(units, Level(level.value)),
        actor_code=as_,
        now=resolve_now(now),
    )


@app.command(
    "close-vote",
    help=N_("Close the vote on units (the secretary): carried to approval, or a revote."),
)
def close_vote_(cycle: CycleArg, units: UnitsArg, as_: AsOption, now: NowOption = None) -> None:
    from models import resolve_now
    from states.voting import close_vote

    with transaction() as session:
        result = close_vote(
            session=session,
            cycle_code=cycle,
            unit_codes=units,
            actor_code=as_,
            now=resolve_now(now),
        )
    for code in result.units:
        outcome = result.outcomes[code]
        if outcome.level is None:
            console.print(
                _("{unit}: revote (round {round}): {outcome}").format(
                    unit=text(code), round=outcome.round + 1, outcome=text(outcome.short())
                )
            )
        else:
            console.print(
                _("{unit}: vote → approval ({outcome})").format(
                    unit=text(code), outcome=text(outcome.short())
                )
            )
