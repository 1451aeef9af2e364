"""`kiemdiem org`: import the organization tree."""

from __future__ import annotations

from pathlib import Path

import typer

from kiemdiem.cli._common import NowOption, console, transaction
from models import resolve_now
from states.reimport import reimport_organizations
from vocabulary import _
from vocabulary.refusals import word

app = typer.Typer(help="The organization tree and its members.", no_args_is_help=True)


@app.command("import")
def import_(
    organizations_csv: Path,
    members_csv: Path,
    now: NowOption = None,
    confirm: bool = typer.Option(
        False,
        "--confirm",
        help="Apply the changes a re-import makes to running cycles (listed without it).",
    ),
) -> None:
    """Import organizations.csv and members.csv: all or nothing; re-importing updates in place.

    While a cycle runs, a re-import that changes it (new members without units, moved cells
    or members, changed heads, open votes whose voters change) is refused with the list of
    changes; with --confirm they are applied."""
    with transaction() as session:
        summary, impacts = reimport_organizations(
            session=session,
            organizations_csv=organizations_csv,
            members_csv=members_csv,
            now=resolve_now(now),
            confirm=confirm,
        )
    if impacts:
        console.print(_("applied to the running cycles, as confirmed:"))
    for impact in impacts:
        for change in impact.changes:
            console.print(f"  {word(change)}")
    console.print(
        f"organizations: {summary.organizations_created} new, {summary.organizations_updated} "
        f"updated; members: {summary.members_created} new, {summary.members_updated} updated"
    )
