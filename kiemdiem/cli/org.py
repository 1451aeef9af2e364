"""`kiemdiem org`: import the organization tree, and look at it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kiemdiem.cli._common import JsonOption, NowOption, console, text, transaction
from kiemdiem.cli._words import App
from vocabulary import N_, _, names

app = App(help=N_("The organization tree and its members."))

OrgArg = Annotated[
    str, typer.Argument(metavar=N_("ORGANIZATION"), help=N_("The organization's code, e.g. C1."))
]


@app.command(
    "import",
    help=N_(
        "Import organizations.csv and members.csv: all or nothing; importing again updates "
        "what changed in place. While a cycle runs, a re-import that changes it (new members "
        "without units, moved cells or members, changed heads, open votes whose voters change) "
        "is refused with the list of changes; with --confirm they are applied."
    ),
)
def import_(
    organizations_csv: Annotated[
        Path,
        typer.Argument(
            metavar=N_("ORGANIZATIONS_CSV"),
            help=N_("The organizations: code, name, level, parent, email, ..."),
        ),
    ],
    members_csv: Annotated[
        Path,
        typer.Argument(
            metavar=N_("MEMBERS_CSV"),
            help=N_("The members: code, full name, organization, email, ..."),
        ),
    ],
    now: NowOption = None,
    confirm: bool = typer.Option(
        False,
        "--confirm",
        help=N_("Apply the changes a re-import makes to running cycles (listed without it)."),
    ),
) -> None:
    from kiemdiem.cli._progress import steps

    with steps(2) as bar:
        bar.step(_("Opening the database…"))
        from models import resolve_now
        from states.reimport import reimport_organizations
        from vocabulary.refusals import word

        with transaction() as session:
            bar.step(_("Importing the organizations and members…"))
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
        _(
            "organizations: {org_new} new, {org_updated} updated; "
            "members: {members_new} new, {members_updated} updated"
        ).format(
            org_new=summary.organizations_created,
            org_updated=summary.organizations_updated,
            members_new=summary.members_created,
            members_updated=summary.members_updated,
        )
    )


@app.command("list", help=N_("The organizations in tree order, with their members' numbers."))
def list_(json_output: JsonOption = False) -> None:
    from states.looking import organizations

    with transaction() as session:
        rows = organizations(session)
    if json_output:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(_("code"), _("name"), _("level"), _("under"), _("members"), _("address"))
    for row in rows:
        table.add_row(
            text(row["code"]),
            text(row["name"]),
            names.ORG_LEVELS.name(row["level"]),
            text(row["parent"] or ""),
            str(row["members"]),
            text(row["email"] or ""),
        )
    console.print(table)


@app.command(
    "show", help=N_("One organization: where it sits, what it contains, who leads, its members.")
)
def show(code: OrgArg, json_output: JsonOption = False) -> None:
    from states.looking import organization

    with transaction() as session:
        org = organization(session, code)
    if json_output:
        print(json.dumps(org, ensure_ascii=False, indent=2))
        return
    console.print(
        f"{text(org['code'])} {text(org['name'])} ({names.ORG_LEVELS.name(org['level'])})",
        style="bold",
    )
    if org["parent"]:
        console.print(
            _("under {code} {name}").format(
                code=text(org["parent"]["code"]), name=text(org["parent"]["name"])
            )
        )
    console.print(
        _("mail: {email}; secretary: {secretary}").format(
            email=text(org["email"] or "—"), secretary=text(org["secretary_email"] or "—")
        )
    )
    for leader in org["leaders"]:
        console.print(
            _("led by {code} {name}").format(code=text(leader["code"]), name=text(leader["name"]))
        )
    if org["children"]:
        console.print(
            _("contains: {children}").format(
                children=", ".join(f"{text(c['code'])} {text(c['name'])}" for c in org["children"])
            )
        )
    table = Table(_("code"), _("name"), _("position"), _("address"), title=_("members"))
    for m in org["members"]:
        table.add_row(
            text(m["code"]), text(m["name"]), text(m["position"] or ""), text(m["email"] or "")
        )
    console.print(table)
