"""`kiemdiem unit submit|comment`: the self-review and the peer review."""

from __future__ import annotations

import typer

from kiemdiem.cli._common import AsOption, NowOption, transaction
from kiemdiem.cli.unit import Units, app, report
from models import Level, resolve_now
from states import comment, submit_self_review
from states.self_review import ShortcomingInput


@app.command()
def submit(
    cycle: str,
    unit: str,
    as_: AsOption,
    level: Level = typer.Option(..., help="Proposed level."),
    strengths: str = "",
    shortcomings: str = "",
    remedies: str = "",
    now: NowOption = None,
) -> None:
    """Submit a self-review (or resubmit one returned for re-review)."""
    with transaction() as session:
        report(
            submit_self_review(
                session=session,
                cycle_code=cycle,
                unit_code=unit,
                actor_code=as_,
                now=resolve_now(now),
                proposed_level=level,
                strengths=strengths,
                shortcomings=[ShortcomingInput(shortcomings)] if shortcomings else [],
                remedies=remedies,
            )
        )


@app.command("comment")
def comment_(
    cycle: str, units: Units, as_: AsOption, text: str = typer.Option(...), now: NowOption = None
) -> None:
    """Record a peer-review comment."""
    with transaction() as session:
        report(
            comment(
                session=session,
                cycle_code=cycle,
                unit_codes=units,
                actor_code=as_,
                now=resolve_now(now),
                text=text,
            )
        )
