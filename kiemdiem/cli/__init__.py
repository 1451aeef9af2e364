"""The `kiemdiem` command line: set-up, import, cycles, people's actions and the demo."""

from __future__ import annotations

import os
import sys

import typer
from rich.text import Text

from kiemdiem.cli import (  # noqa: F401  (the unit_* modules add their commands to `unit`)
    cycle,
    org,
    remediation,
    unit,
    unit_approval,
    unit_review,
    unit_vote,
)
from kiemdiem.cli._common import NowOption, console, errors, transaction
from kiemdiem.cli.report import report_command
from models import KiemdiemError, resolve_now
from states import MACHINES

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
    """Create the database tables (KIEMDIEM_DATABASE_URL, default ./kiemdiem.db)."""
    with transaction():
        pass
    console.print("database ready", style="green")


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
        errors.print(Text.assemble(("error:", "bold red"), " ", str(exc)), soft_wrap=True)
        sys.exit(1)
