"""`kiemdiem unit vote`: a voter's ballot paper, and the secretary closing the vote."""

from __future__ import annotations

import typer

from kiemdiem.cli._common import AsOption, NowOption, console, transaction
from kiemdiem.cli.unit import Units, app, perform
from models import Level, resolve_now
from states import vote
from states.voting import close_vote


@app.command("vote")
def vote_(
    cycle: str,
    units: Units,
    as_: AsOption,
    level: Level = typer.Option(..., help="The level voted for every unit named."),
    now: NowOption = None,
) -> None:
    """Vote on the level of one or more units."""
    perform(
        vote,
        cycle_code=cycle,
        ballots=dict.fromkeys(units, level),
        actor_code=as_,
        now=resolve_now(now),
    )


@app.command("close-vote")
def close_vote_(cycle: str, units: Units, as_: AsOption, now: NowOption = None) -> None:
    """Close the vote on units (the secretary): carried to approval, or a revote."""
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
            console.print(f"{code}: revote (round {outcome.round + 1}): {outcome.short()}")
        else:
            console.print(f"{code}: vote → approval ({outcome.short()})")
