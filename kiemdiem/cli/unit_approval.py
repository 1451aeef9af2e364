"""`kiemdiem unit approve|return`: the approving committee's decisions."""

from __future__ import annotations

import typer

from kiemdiem.cli._common import AsOption, NowOption, transaction
from kiemdiem.cli.unit import Units, app, report
from models import Level, load_settings, resolve_now
from states import approve, return_for_review


@app.command("approve")
def approve_(
    cycle: str,
    units: Units,
    as_: AsOption,
    level: Level | None = typer.Option(None, help="Decide another level than proposed."),
    reason: str | None = None,
    now: NowOption = None,
) -> None:
    """Decide the final level of units (the higher committee)."""
    with transaction() as session:
        report(
            approve(
                session=session,
                cycle_code=cycle,
                unit_codes=units,
                actor_code=as_,
                now=resolve_now(now),
                level=level,
                reason=reason,
            )
        )


@app.command("return")
def return_(
    cycle: str, units: Units, as_: AsOption, reason: str = typer.Option(...), now: NowOption = None
) -> None:
    """Return units for re-review, with the reason they will read."""
    with transaction() as session:
        report(
            return_for_review(
                session=session,
                cycle_code=cycle,
                unit_codes=units,
                actor_code=as_,
                now=resolve_now(now),
                reason=reason,
                settings=load_settings(),
            )
        )
