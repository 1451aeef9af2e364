"""`kiemdiem remediation`: shortcomings' owners, progress reports and supervision notes."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table
from rich.text import Text

from kiemdiem.cli._common import AsOption, NowOption, console, transaction
from kiemdiem.cli.unit import report
from models import RemediationStatus, resolve_now
from states.remediation import (
    assign_shortcomings,
    remediation_items,
    report_remediation,
    supervise,
)

app = typer.Typer(
    help="Remediation of shortcomings: list items, assign owners, report progress, supervise.",
    no_args_is_help=True,
)


@app.command("list")
def list_(
    cycle: str,
    unit: str | None = typer.Option(None, help="Only this unit's items (e.g. O:C1)."),
    owner: str | None = typer.Option(None, help="Only items this member owns."),
    status: RemediationStatus | None = typer.Option(None, help="Only items in this status."),
    now: NowOption = None,
) -> None:
    """The cycle's remediation items with their owners, due dates (local) and status."""
    with transaction() as session:
        items = remediation_items(
            session,
            cycle,
            unit_code=unit,
            owner_code=owner,
            status=status.value if status else None,
            now=resolve_now(now),
        )
    table = Table("id", "unit", "shortcoming", "owner", "due", "status", "notes", "carried from")
    for i in items:
        table.add_row(
            str(i["id"]) + (f" (part of #{i['split_from']})" if i["split_from"] else ""),
            i["unit"],
            i["text"] + (f" ({i['cause']})" if i["cause"] else ""),
            f"{i['owner']} {i['owner_name']}" if i["owner"] else Text("nobody yet", style="red"),
            i["due_local"],
            i["status"],
            str(i["notes"]),
            str(i["carried_from"] or ""),
        )
    console.print(table)


@app.command()
def assign(
    cycle: str,
    unit: str,
    shortcoming_id: int,
    as_: AsOption,
    owner: list[str] = typer.Option(..., help="A member who owns it; repeat to split it."),
    due: datetime | None = typer.Option(None, formats=["%Y-%m-%d"], help="New local due date."),
    now: NowOption = None,
) -> None:
    """Give a collective's shortcoming to a member, or split it among several."""
    with transaction() as session:
        result = assign_shortcomings(
            session=session,
            cycle_code=cycle,
            unit_code=unit,
            shortcoming_id=shortcoming_id,
            owner_codes=owner,
            actor_code=as_,
            now=resolve_now(now),
            due=due.date() if due else None,
        )
    report(result)


@app.command()
def progress(
    shortcoming_id: int,
    as_: AsOption,
    note: str = typer.Option(..., help="What was done: the evidence."),
    remedied: bool = typer.Option(False, "--remedied", help="The shortcoming is remedied."),
    now: NowOption = None,
) -> None:
    """Report progress on a shortcoming you own, or that it is remedied."""
    with transaction() as session:
        item = report_remediation(
            session=session,
            shortcoming_id=shortcoming_id,
            actor_code=as_,
            now=resolve_now(now),
            note=note,
            remedied=remedied,
        )
        console.print(f"shortcoming {item.id} ({item.unit_code}): {item.status.value}")


@app.command("supervise")
def supervise_(
    shortcoming_id: int,
    as_: AsOption,
    note: str = typer.Option(..., help="The inspection commission's note."),
    now: NowOption = None,
) -> None:
    """Write a supervision note on a shortcoming (the inspection commission)."""
    with transaction() as session:
        supervise(
            session=session,
            shortcoming_id=shortcoming_id,
            actor_code=as_,
            now=resolve_now(now),
            note=note,
        )
    console.print(f"shortcoming {shortcoming_id}: supervision note recorded")
