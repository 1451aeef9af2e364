"""The `kiemdiem` command line: set-up, import, cycles, people's actions and the demo."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.markup import escape

from kiemdiem.cli import (  # noqa: F401  (the unit_* modules add their commands to `unit`)
    cycle,
    org,
    remediation,
    unit,
    unit_approval,
    unit_review,
    unit_vote,
)
from kiemdiem.cli._common import NowOption, console, errors
from kiemdiem.cli.report import report_command
from models import KiemdiemError, resolve_now
from states import MACHINES
from vocabulary import _

app = typer.Typer(
    help="Workflow orchestration for the yearly review, evaluation and classification cycle.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(now: NowOption = None) -> None:
    """`kiemdiem --now T COMMAND` sets the clock for any command, like KIEMDIEM_NOW."""
    if now:
        resolve_now(now)  # refuse a malformed time here, before the command runs
        os.environ["KIEMDIEM_NOW"] = now


app.add_typer(org.app, name="org")
app.add_typer(cycle.app, name="cycle")
app.add_typer(unit.app, name="unit")
app.add_typer(remediation.app, name="remediation")
app.command("report")(report_command)


@app.command()
def init() -> None:
    """Create the database, or upgrade it to the newest schema keeping its rows
    (KIEMDIEM_DATABASE_URL, default ./kiemdiem.db)."""
    from models import get_engine, init_db
    from models.migrate import head

    done = init_db(get_engine())
    console.print(f"[green]database ready[/] ({done}, schema revision {head()})")


@app.command()
def backup(target: Path) -> None:
    """Back up the database while it runs (SQLite online backup; pg_dump on PostgreSQL)."""
    from models import get_engine
    from models.backup import backup as take

    take(get_engine(), target)
    console.print(f"[green]backed up[/] to {target}")


@app.command()
def restore(source: Path) -> None:
    """Replace the database with a backup (stop ticks, workers and pages first), then upgrade
    it to the newest schema."""
    from models import get_engine, init_db
    from models.backup import restore as put_back

    engine = get_engine()
    put_back(engine, source)
    console.print(f"[green]restored[/] from {source} ({init_db(engine)})")


@app.command()
def diagram(
    kind: str = typer.Option("all", help="individual, collective or all"),
) -> None:
    """Print the unit state machines as Mermaid diagrams, generated from their tables."""
    chosen = [m for m in MACHINES if kind in ("all", m.name)]
    if not chosen:
        raise typer.BadParameter(f"{kind!r}: choose individual, collective or all")
    for machine in chosen:
        print(f"```mermaid\n{machine.mermaid()}\n```")


@app.command()
def demo(
    json_output: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    members: int = typer.Option(2000, min=5, help="Members in the generated district."),
    seed: int = typer.Option(2026, help="Seed for names and behaviour."),
    keep: str | None = typer.Option(None, help="Run in this directory and keep it."),
) -> None:
    """Generate a district, run a whole cycle against a local SMTP server, print a summary."""
    from kiemdiem.demo.run import run_demo

    run_demo(json_output=json_output, members=members, seed=seed, keep=keep)


def main() -> None:
    try:
        app()
    except KiemdiemError as exc:
        # The words may quote what a person typed (a code, a reason): never read as markup.
        label = _("error")
        errors.print(f"[bold red]{label}:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)
