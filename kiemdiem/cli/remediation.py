"""`kiemdiem remediation`: shortcomings' owners, progress reports and supervision notes."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table
from rich.text import Text

from kiemdiem.cli._common import (
    AsOption,
    CycleArg,
    NowOption,
    ShortcomingArg,
    StatusChoice,
    UnitArg,
    console,
    text,
    transaction,
)
from kiemdiem.cli._words import App
from kiemdiem.cli.unit import _part_of, report
from vocabulary import N_, _, names

app = App(
    help=N_("Remediation of shortcomings: list items, assign owners, report progress, supervise.")
)


@app.command(
    "list",
    help=N_("The cycle's remediation items with their owners, due dates (local) and status."),
)
def list_(
    cycle: CycleArg,
    unit: str | None = typer.Option(None, help=N_("Only this unit's items (e.g. O:C1).")),
    owner: str | None = typer.Option(None, help=N_("Only items this member owns.")),
    status: StatusChoice | None = typer.Option(None, help=N_("Only items in this status.")),
    now: NowOption = None,
) -> None:
    from models import resolve_now
    from states.remediation import remediation_items

    with transaction() as session:
        items = remediation_items(
            session,
            cycle,
            unit_code=unit,
            owner_code=owner,
            status=status.value if status else None,
            now=resolve_now(now),
        )
    table = Table(
        _("id"),
        _("unit"),
        _("shortcoming"),
        _("owner"),
        _("due"),
        _("status"),
        _("notes"),
        _("carried from"),
    )
    for i in items:
        table.add_row(
            str(i["id"]) + _part_of(i["split_from"]),
            text(i["unit"]),
            text(i["text"]) + (f" ({text(i['cause'])})" if i["cause"] else ""),
            f"{text(i['owner'])} {text(i['owner_name'])}"
            if i["owner"]
            else Text(_("nobody yet"), style="red"),
            text(i["due_local"]),
            names.REMEDIATION_STATUSES.name(i["status"]),
            str(i["notes"]),
            str(i["carried_from"] or ""),
        )
    console.print(table)


@app.command(help=N_("Give a collective's shortcoming to a member, or split it among several."))
def assign(
    cycle: CycleArg,
    unit: UnitArg,
    shortcoming_id: ShortcomingArg,
    as_: AsOption,
    owner: list[str] = typer.Option(..., help=N_("A member who owns it; repeat to split it.")),
    due: datetime | None = typer.Option(
        None, formats=["%Y-%m-%d"], help=N_("A new local due date.")
    ),
    now: NowOption = None,
) -> None:
    from models import resolve_now
    from states.remediation import assign_shortcomings

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


@app.command(help=N_("Report progress on a shortcoming you own, or that it is remedied."))
def progress(
    shortcoming_id: ShortcomingArg,
    as_: AsOption,
    note: str = typer.Option(..., help=N_("What was done: the evidence.")),
    remedied: bool = typer.Option(False, "--remedied", help=N_("The shortcoming is remedied.")),
    now: NowOption = None,
) -> None:
    from models import resolve_now
    from states.remediation import report_remediation

    with transaction() as session:
        item = report_remediation(
            session=session,
            shortcoming_id=shortcoming_id,
            actor_code=as_,
            now=resolve_now(now),
            note=note,
            remedied=remedied,
        )
        console.print(
            _("shortcoming {id} ({unit}): {status}").format(
                id=item.id,
                unit=text(item.unit_code),
                status=names.REMEDIATION_STATUSES.name(item.status.value),
            )
        )


@app.command(
    "supervise",
    help=N_("Write a supervision note on a shortcoming (the inspection commission)."),
)
def supervise_(
    shortcoming_id: ShortcomingArg,
    as_: AsOption,
    note: str = typer.Option(..., help=N_("The inspection commission's note.")),
    now: NowOption = None,
) -> None:
    from models import resolve_now
    from states.remediation import supervise

    with transaction() as session:
        supervise(
            session=session,
            shortcoming_id=shortcoming_id,
            actor_code=as_,
            now=resolve_now(now),
            note=note,
        )
    console.print(_("shortcoming {id}: supervision note recorded").format(id=shortcoming_id))
