"""`kiemdiem unit`: what members, secretaries and approvers do, `--as` the person acting."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import col, select

from kiemdiem.cli._common import NowOption, console, transaction
from models import AuditEntry, StageDeadline
from states import (
    ActionResult,
    allowed_actions,
)
from states.cycles import format_day, get_cycle, get_units, plan_of

app = typer.Typer(
    help="Act on units. Unit codes: O:<org>, T:<org> (leadership), M:<member>, L:<member>.",
    no_args_is_help=True,
)
Units = Annotated[list[str], typer.Argument(help="One or more unit codes.")]


def report(result: ActionResult) -> None:
    for code in result.units:
        if code in result.moved:
            before, after = result.moved[code]
            console.print(f"{code}: {before} → {after}")
        else:
            console.print(f"{code}: {result.trigger} recorded")


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
