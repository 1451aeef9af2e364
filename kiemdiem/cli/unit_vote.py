"""`kiemdiem unit vote`: a voter's ballot paper, and the secretary closing the vote."""

from __future__ import annotations

import typer

from kiemdiem.cli._common import AsOption, NowOption, transaction
from kiemdiem.cli.unit import Units, app, report
from models import Level, resolve_now
from states import vote


@app.command("vote")
def vote_(
    cycle: str,
    units: Units,
    as_: AsOption,
    level: Level = typer.Option(..., help="The level voted for every unit named."),
    now: NowOption = None,
) -> None:
    """Vote on the level of one or more units."""
    with transaction() as session:
        report(
            vote(
                session=session,
                cycle_code=cycle,
                ballots=dict.fromkeys(units, level),
                actor_code=as_,
                now=resolve_now(now),
            )
        )
