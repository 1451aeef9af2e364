"""`kiemdiem unit`: what members, secretaries and approvers do, `--as` the person acting."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import col, select

from kiemdiem.cli._common import AsOption, NowOption, console, transaction
from models import AuditEntry, Level, StageDeadline, load_settings, resolve_now
from states import (
    ActionResult,
    allowed_actions,
    approve,
    comment,
    finish_remediation,
    return_for_review,
    submit_self_review,
    vote,
)
from states.cycles import format_day, get_cycle, get_units, plan_of

app = typer.Typer(
    help="Act on units. Unit codes: O:<org>, T:<org> (leadership), M:<member>, L:<member>.",
    no_args_is_help=True,
)
Units = Annotated[list[str], typer.Argument(help="One or more unit codes.")]


def _report(result: ActionResult) -> None:
    for code in result.units:
        if code in result.moved:
            before, after = result.moved[code]
            console.print(f"{code}: {before} → {after}")
        else:
            console.print(f"{code}: {result.trigger} recorded")


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
        _report(
            submit_self_review(
                session=session,
                cycle_code=cycle,
                unit_code=unit,
                actor_code=as_,
                now=resolve_now(now),
                proposed_level=level,
                strengths=strengths,
                shortcomings=shortcomings,
                remedies=remedies,
            )
        )


@app.command("comment")
def comment_(
    cycle: str, units: Units, as_: AsOption, text: str = typer.Option(...), now: NowOption = None
) -> None:
    """Record a peer-review comment."""
    with transaction() as session:
        _report(
            comment(
                session=session,
                cycle_code=cycle,
                unit_codes=units,
                actor_code=as_,
                now=resolve_now(now),
                text=text,
            )
        )


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
        _report(
            vote(
                session=session,
                cycle_code=cycle,
                ballots=dict.fromkeys(units, level),
                actor_code=as_,
                now=resolve_now(now),
            )
        )


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
        _report(
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
        _report(
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


@app.command("remediated")
def remediated(cycle: str, unit: str, as_: AsOption, note: str = "", now: NowOption = None) -> None:
    """Report a unit's shortcomings remedied, closing it."""
    with transaction() as session:
        _report(
            finish_remediation(
                session=session,
                cycle_code=cycle,
                unit_code=unit,
                actor_code=as_,
                now=resolve_now(now),
                note=note,
            )
        )


@app.command()
def show(cycle: str, unit: str, now: NowOption = None) -> None:
    """A unit's state, deadlines (local time), allowed actions and history."""
    with transaction() as session:
        found_cycle = get_cycle(session, cycle)
        found = get_units(session, found_cycle, [unit])[0]
        deadlines = session.exec(
            select(StageDeadline).where(StageDeadline.unit_id == found.id)
        ).all()
        history = session.exec(
            select(AuditEntry).where(AuditEntry.unit_id == found.id).order_by(col(AuditEntry.id))
        ).all()
    plan = plan_of(found_cycle)
    console.print(
        f"{found.code} ({found.kind.value}): [bold]{found.state}[/]; proposed "
        f"{found.proposed_level}, final {found.final_level}; can: "
        f"{', '.join(allowed_actions(found)) or 'nothing (the tick moves it)'}"
    )
    for d in sorted(deadlines, key=lambda d: d.due_at):
        console.print(
            f"  {d.stage}: due by the end of {format_day(d.due_at, plan)} ({plan.timezone})"
        )
    table = Table("at (local)", "actor", "move", "reason")
    for entry in history:
        table.add_row(
            entry.at.astimezone(plan.zone).strftime("%d/%m/%Y %H:%M"),
            entry.actor,
            f"{entry.from_state} → {entry.to_state}",
            entry.reason or "",
        )
    console.print(table)
