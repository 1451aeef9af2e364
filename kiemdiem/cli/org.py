"""`kiemdiem org`: import the organization tree."""

from __future__ import annotations

from pathlib import Path

import typer

from kiemdiem.cli._common import NowOption, console, transaction
from models import resolve_now
from models.org_import import import_organizations

app = typer.Typer(help="The organization tree and its members.", no_args_is_help=True)


@app.command("import")
def import_(organizations_csv: Path, members_csv: Path, now: NowOption = None) -> None:
    """Import organizations.csv and members.csv: all or nothing; re-importing updates in place."""
    with transaction() as session:
        summary = import_organizations(
            session=session,
            organizations_csv=organizations_csv,
            members_csv=members_csv,
            now=resolve_now(now),
        )
    console.print(
        f"organizations: {summary.organizations_created} new, {summary.organizations_updated} "
        f"updated; members: {summary.members_created} new, {summary.members_updated} updated"
    )
