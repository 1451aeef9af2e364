"""The `kiemdiem` command line: set-up, import, cycles, people's actions and the demo.

Commands are listed in the order of the process. Help is in the person's language
(`kiemdiem/cli/_words.py`); what a command needs beyond typer is imported in its body.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from kiemdiem.cli import (  # noqa: F401  (the unit_* modules add their commands to `unit`, cycle_insights to `cycle`)
    cycle,
    cycle_insights,
    org,
    remediation,
    unit,
    unit_approval,
    unit_review,
    unit_vote,
)
from kiemdiem.cli._common import (
    NowOption,
    collect_again,
    console,
    errors,
    hold_collection,
    text,
)
from kiemdiem.cli._words import App
from kiemdiem.cli.report import report_command
from vocabulary import N_, _

app = App(
    help=N_("The yearly review, evaluation and classification of party organizations and members."),
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(now: NowOption = None) -> None:
    if now:
        from models import resolve_now

        resolve_now(now)  # refuse a malformed time here, before the command runs
        os.environ["KIEMDIEM_NOW"] = now


@app.command(
    help=N_(
        "Create the database, or upgrade it to the newest schema keeping its rows "
        "(KIEMDIEM_DATABASE_URL, default ./kiemdiem.db)."
    )
)
def init() -> None:
    from models import get_engine, init_db
    from models.migrate import head

    done = init_db(get_engine())
    console.print(
        _("database ready ({done}, schema revision {revision})").format(
            done=text(done), revision=text(head())
        ),
        style="green",
    )


app.add_typer(org.app, name="org")
app.add_typer(cycle.app, name="cycle")
app.add_typer(unit.app, name="unit")
app.add_typer(remediation.app, name="remediation")
app.command("report", help=N_("Write the cycle's report workbook for the standing committee."))(
    report_command
)


@app.command(
    help=N_("Generate a district, run a whole cycle against a local SMTP server, print a summary.")
)
def demo(
    json_output: bool = typer.Option(False, "--json", help=N_("Print the summary as JSON.")),
    members: int = typer.Option(2000, min=5, help=N_("Members in the generated district.")),
    seed: int = typer.Option(2026, help=N_("Seed for names and behaviour.")),
    keep: str | None = typer.Option(None, help=N_("Run in this directory and keep it.")),
    serve: bool = typer.Option(
        False, "--serve", help=N_("Then leave the pages running, with a sign-in link per role.")
    ),
) -> None:
    from kiemdiem.demo.run import run_demo

    collect_again()
    run_demo(json_output=json_output, members=members, seed=seed, keep=keep, serve=serve)


@app.command(
    "serve", help=N_("Serve the pages people act through, with the morning ticks and the outbox.")
)
def serve_command(
    host: str | None = typer.Option(None, help=N_("Listen here (default KIEMDIEM_SERVE_HOST).")),
    port: int | None = typer.Option(None, help=N_("Port (default KIEMDIEM_SERVE_PORT, 8000).")),
    ticks: bool = typer.Option(
        True, help=N_("Run each cycle's morning tick (KIEMDIEM_TICK_HOUR, Asia/Ho_Chi_Minh).")
    ),
    mail: bool = typer.Option(True, help=N_("Deliver the outbox as the pages run.")),
    mail_every: float = typer.Option(30.0, min=0.2, help=N_("Seconds between outbox deliveries.")),
    workers: int | None = typer.Option(
        None,
        min=1,
        help=N_("Serve the pages from this many processes (default: one per core, at most 4)."),
    ),
) -> None:
    from models import load_settings
    from web.serve import default_workers, serve, served_settings

    collect_again()
    settings = load_settings()
    changes = {k: v for k, v in {"serve_host": host, "serve_port": port}.items() if v}
    settings = served_settings(settings.model_copy(update=changes))
    console.print(
        _("kiemdiem pages at {url}").format(
            url=f"http://{settings.serve_host}:{settings.serve_port}"
        )
    )
    serve(
        settings,
        ticks=ticks,
        mail=mail,
        mail_interval=mail_every,
        workers=workers or default_workers(),
    )


@app.command(
    help=N_("Back up the database while it runs (SQLite online backup; pg_dump on PostgreSQL).")
)
def backup(
    target: Annotated[
        Path, typer.Argument(metavar=N_("FILE"), help=N_("The backup file to write."))
    ],
) -> None:
    from models import get_engine
    from models.backup import backup as take

    take(get_engine(), target)
    console.print(_("backed up to {path}").format(path=text(target)), style="green")


@app.command(
    help=N_(
        "Replace the database with a backup (stop ticks, workers and pages first), then "
        "upgrade it to the newest schema."
    )
)
def restore(
    source: Annotated[
        Path, typer.Argument(metavar=N_("FILE"), help=N_("The backup file to restore."))
    ],
) -> None:
    from models import get_engine, init_db
    from models.backup import restore as put_back

    engine = get_engine()
    put_back(engine, source)
    console.print(
        _("restored from {path} ({done})").format(path=text(source), done=text(init_db(engine))),
        style="green",
    )


@app.command(
    help=N_("Print the unit state machines as Mermaid diagrams, generated from their tables.")
)
def diagram(
    kind: str = typer.Option("all", help=N_("individual, collective or all")),
) -> None:
    from states import MACHINES

    chosen = [m for m in MACHINES if kind in ("all", m.name)]
    if not chosen:
        raise typer.BadParameter(
            _("{kind}: choose individual, collective or all").format(kind=kind)
        )
    for machine in chosen:
        print(f"```mermaid\n{machine.mermaid()}\n```")


def main() -> None:
    hold_collection()  # until the command's imports are done (transaction, serve, demo)
    try:
        app()
    except Exception as exc:
        from models import KiemdiemError  # not before: `kiemdiem --help` needs no database

        if not isinstance(exc, KiemdiemError):
            raise
        # The words may quote what a person typed (a code, a reason): printed as text.
        errors.print(Text.assemble((_("error") + ":", "bold red"), " ", str(exc)), soft_wrap=True)
        sys.exit(1)
    finally:
        collect_again(freeze=False)  # a caller that goes on (a test) collects as before
