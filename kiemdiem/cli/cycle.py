"""`kiemdiem cycle`: launch a cycle, run a tick, show where it stands."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from kiemdiem.cli._common import NowOption, console, errors, transaction
from kiemdiem.prefect_env import prepare_prefect
from models import load_settings, resolve_now
from models.db import probe_writable
from states import cycle_status
from states.cycles import get_cycle
from states.plan_references import check_plan_file, past_due_warning
from vocabulary import _, names

app = typer.Typer(help="Yearly review cycles.", no_args_is_help=True)


@app.command()
def launch(
    plan: Path,
    now: NowOption = None,
    deliver: bool = typer.Option(
        True, help="Deliver the plan-issued mail after the launch (--no-deliver: the next tick)."
    ),
) -> None:
    """Launch a cycle from its plan file (runs the launch-cycle flow)."""
    # Every problem of the plan, its keys and what it names, before Prefect starts: a flow
    # that failed on them would print its traceback above the message.
    with transaction() as session:
        checked = check_plan_file(session, plan)
        probe_writable(session)
    warning = past_due_warning(checked, resolve_now(now))
    if warning:
        errors.print(_("warning: {text}").format(text=warning), style="yellow")
    prepare_prefect()
    from flows import launch_cycle

    summary = launch_cycle(
        str(plan.resolve()),
        now=resolve_now(now).isoformat(),
        database_url=load_settings().database_url,
        deliver=deliver,
    )
    verb = "launched" if summary["created"] else "already launched with this plan"
    delivery = summary["delivery"]
    if "run" in delivery:
        sent = f"delivering in deployment run {delivery['run']}"
    elif "queued" in delivery:
        sent = "delivered by the next tick"
    else:
        sent = f"sent {delivery['sent']}"
    schedule = summary["schedule"]
    ticks = (
        f"; ticks every day at {schedule['cron']} ({schedule['timezone']}): deployment "
        f"{schedule['deployment']}"
        if schedule
        else ""
    )
    console.print(
        f"cycle {summary['cycle']} {verb}: units {summary['units']}, "
        f"mails queued {summary['mails_queued']}, {sent}{ticks}"
    )


@app.command()
def close(code: str, now: NowOption = None) -> None:
    """Close a cycle whose units are all closed: its scheduled ticks stop."""
    from states.closing import close_cycle

    with transaction() as session:
        closed = close_cycle(session=session, cycle=get_cycle(session, code), now=resolve_now(now))
    stopped = ""
    if os.environ.get("PREFECT_API_URL"):  # a Prefect server: stop the schedule now
        from flows._schedules import unschedule_cycle

        stopped = "; its schedule is off" if unschedule_cycle(code) else ""
    else:
        stopped = "; a scheduled tick of it turns its schedule off"
    console.print(f"cycle {code} {'closed' if closed else 'was already closed'}{stopped}")


@app.command()
def tick(code: str, now: NowOption = None) -> None:
    """Run one tick of the cycle: advance, escalate, deliver mail (the review-cycle flow)."""
    with transaction() as session:
        get_cycle(session, code)
        probe_writable(session)  # a read-only database: one line, before Prefect starts
    prepare_prefect()
    from flows import review_cycle

    summary = review_cycle(
        code, now=resolve_now(now).isoformat(), database_url=load_settings().database_url
    )
    moved = {k: v for k, v in summary["advanced"]["moved"].items() if v}
    console.print(
        f"moved {moved or 'nothing'}; escalation steps {summary['escalated']['steps']}, "
        f"digests {summary['escalated']['digests']}; mail {summary['status']['mails']}"
    )


def render_status(status: dict[str, Any]) -> None:
    table = Table(title=f"{status['cycle']} at {status['now']}")
    table.add_column("state")
    table.add_column("units", justify="right")
    for state, n in status["states"].items():
        table.add_row(names.STATES.name(state), str(n))
    console.print(table)
    overdue = Table(title="overdue by organization")
    for column in ("organization", "name", *status["overdue"], "total"):
        overdue.add_column(column)
    for row in status["overdue_by_organization"]:
        overdue.add_row(
            *(str(row.get(c, 0)) for c in ("organization", "name", *status["overdue"], "total"))
        )
    console.print(overdue)
    if status["missing_addresses"]:
        gaps = Table(title="organizations without their own address (their mail goes up the tree)")
        for column in ("organization", "name", "missing", "mail_goes_to"):
            gaps.add_column(column)
        for row in status["missing_addresses"]:
            gaps.add_row(*(row[c] for c in ("organization", "name", "missing", "mail_goes_to")))
        console.print(gaps)
    for row in status["mail_retrying"]:
        console.print(
            f"{row['messages']} mail(s) waiting to be retried (next at "
            f"{row['next_attempt_at']}): {row['error']}"
        )
    if status["mail_failures"]:
        failed = Table(title="mail the server refused (fix the address and import again)")
        for column in ("recipient", "kind", "error", "failed_at"):
            failed.add_column(column)
        for row in status["mail_failures"]:
            failed.add_row(*(str(row[c]) for c in ("recipient", "kind", "error", "failed_at")))
        console.print(failed)
    process = status["process"]
    console.print(
        f"suggestions {process['suggestions']}; opinions {process['opinions']}; revotes open "
        f"{process['revotes']}; final levels {process['final_levels']}; shortcomings "
        f"{process['shortcomings']}"
    )
    console.print(f"overdue {status['overdue']}; mail {status['mails']}")


@app.command()
def status(
    code: str,
    now: NowOption = None,
    json_output: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Units per state, overdue per stage and organization, mail sent/pending/failed."""
    with transaction() as session:
        result = cycle_status(session=session, cycle=get_cycle(session, code), now=resolve_now(now))
    if json_output:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        render_status(result)
