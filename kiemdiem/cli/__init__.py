"""The `kiemdiem` command line: set-up, import, cycles, people's actions and the demo."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
    console.print(f"database ready ({done}, schema revision {head()})", style="green")


@app.command()
def backup(target: Path) -> None:
    """Back up the database while it runs (SQLite online backup; pg_dump on PostgreSQL)."""
    from models import get_engine
    from models.backup import backup as take

    take(get_engine(), target)
    console.print(f"backed up to {target}", style="green")


@app.command()
def restore(source: Path) -> None:
    """Replace the database with a backup (stop ticks, workers and pages first), then upgrade
    it to the newest schema."""
    from models import get_engine, init_db
    from models.backup import restore as put_back

    engine = get_engine()
    put_back(engine, source)
    console.print(f"restored from {source} ({init_db(engine)})", style="green")


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
    serve: bool = typer.Option(
        False, "--serve", help="Then leave the pages running, with a sign-in link per role."
    ),
) -> None:
    """Generate a district, run a whole cycle against a local SMTP server, print a summary."""
    from kiemdiem.demo.run import run_demo

    run_demo(json_output=json_output, members=members, seed=seed, keep=keep, serve=serve)


@app.command("serve")
def serve_command(
    host: str | None = typer.Option(None, help="Listen here (default KIEMDIEM_SERVE_HOST)."),
    port: int | None = typer.Option(None, help="Port (default KIEMDIEM_SERVE_PORT, 8000)."),
    ticks: bool = typer.Option(
        True, help="Run each cycle's morning tick (KIEMDIEM_TICK_HOUR, Asia/Ho_Chi_Minh)."
    ),
    mail: bool = typer.Option(True, help="Deliver the outbox as the pages run."),
    mail_every: float = typer.Option(30.0, min=0.2, help="Seconds between outbox deliveries."),
) -> None:
    """Serve the pages people act through, with the morning ticks and the outbox."""
    from models import load_settings
    from web.serve import serve

    settings = load_settings()
    changes = {k: v for k, v in {"serve_host": host, "serve_port": port}.items() if v}
    settings = settings.model_copy(update=changes)
    console.print(f"kiemdiem pages at http://{settings.serve_host}:{settings.serve_port}")
    serve(settings, ticks=ticks, mail=mail, mail_interval=mail_every)


def main() -> None:
    try:
        app()
    except KiemdiemError as exc:
        # The words may quote what a person typed (a code, a reason): printed as text.
        errors.print(Text.assemble((_("error") + ":", "bold red"), " ", str(exc)), soft_wrap=True)
        sys.exit(1)
