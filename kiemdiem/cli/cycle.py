"""`kiemdiem cycle`: the cycles there are, launch one, run a tick, see where it stands, close it."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from kiemdiem.cli._common import (
    CycleArg,
    JsonOption,
    NowOption,
    console,
    errors,
    text,
    transaction,
)
from kiemdiem.cli._words import App
from vocabulary import N_, _, dates, names

if TYPE_CHECKING:
    from kiemdiem.cli._handoff import Handed
    from models import StorageFailed

app = App(help=N_("Yearly review cycles: list, launch, tick, status, close."))


def _moment(value: str | datetime | None, zone: str = dates.ZONE) -> str:
    """A stored instant (ISO text or datetime) as dd/mm/yyyy HH:mm in the plan's zone."""
    if not value:
        return "—"
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dates.moment(instant, zone)


@app.command(
    "list", help=N_("The cycles, newest first: launched when and by whom, open or closed.")
)
def list_(json_output: JsonOption = False) -> None:
    from states.looking import cycles

    with transaction() as session:
        rows = cycles(session)
    if json_output:
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    if not rows:
        console.print(_("No cycle yet; launch one with `kiemdiem cycle launch PLAN`."))
        return
    table = Table(
        _("code"), _("title"), _("launched by"), _("launched"), _("rules"), _("units"), _("closed")
    )
    for row in rows:
        table.add_row(
            text(row["code"]),
            text(row["title"]),
            text(row["launched_by"]),
            _moment(row["launched_at"], row["timezone"]),
            text(row["rule_set"]),
            str(row["units"]),
            _moment(row["closed_at"], row["timezone"]) if row["closed_at"] else _("open"),
        )
    console.print(table)


@app.command(help=N_("Launch a cycle from its plan file (runs the launch-cycle flow)."))
def launch(
    plan: Annotated[
        Path, typer.Argument(metavar=N_("PLAN"), help=N_("The plan file (YAML) the cycle follows."))
    ],
    now: NowOption = None,
    deliver: bool = typer.Option(
        True,
        help=N_("Deliver the plan-issued mail after the launch (--no-deliver: the next tick)."),
    ),
) -> None:
    from kiemdiem.cli._handoff import hand_off
    from kiemdiem.cli._progress import steps

    with steps(3) as bar:
        bar.step(_("Reading the plan…"))
        from kiemdiem.prefect_env import many_runs, prepare_prefect
        from models import load_settings, resolve_now
        from models.db import probe_writable
        from states.plan_references import check_plan_file, past_due_warning

        # Every problem of the plan, its keys and what it names, before Prefect starts: a
        # flow that failed on them would print its traceback above the message.
        with transaction() as session:
            checked = check_plan_file(session, plan)
            probe_writable(session)
        warning = past_due_warning(checked, resolve_now(now))
        if warning:
            errors.print(_("warning: {text}").format(text=warning), style="yellow")
        parameters: dict[str, Any] = {
            "plan_path": str(plan.resolve()),
            "now": resolve_now(now).isoformat(),
            "deliver": deliver,
        }
        handed = hand_off(
            "launch-cycle", parameters, deployment="launch-cycle/launch-cycle", wait=0
        )
        if handed is None:
            bar.step(_("Starting Prefect…"))
            prepare_prefect()
            from flows import launch_here

            bar.step(_("Launching: units, deadlines and mail…"))
            with many_runs():
                summary = launch_here(**parameters, database_url=load_settings().database_url)
    if handed is not None and handed.summary is None:
        _print_prefect_run(handed)
        return
    if handed is not None:
        assert handed.summary is not None
        summary = handed.summary
        _print_served(handed)
    words = {"cycle": text(summary["cycle"]), "units": summary["units"]}
    words["queued"] = summary["mails_queued"]
    verb = (
        _("cycle {cycle} launched")
        if summary["created"]
        else _("cycle {cycle} already launched with this plan")
    ).format(**words)
    delivery = summary["delivery"]
    if "run" in delivery:
        sent = _("delivering in deployment run {run}").format(run=text(delivery["run"]))
    elif "queued" in delivery:
        sent = _("delivered by the next tick")
    else:
        sent = _("sent {sent}").format(sent=delivery["sent"])
    console.print(
        _("{verb}: units {units}, mails queued {queued}, {sent}").format(
            verb=verb, sent=sent, **words
        )
    )
    schedule = summary["schedule"]
    if schedule:
        console.print(
            _("ticks every day at {cron} ({zone}): deployment {deployment}").format(
                cron=text(schedule["cron"]),
                zone=text(schedule["timezone"]),
                deployment=text(schedule["deployment"]),
            )
        )


@app.command(
    help=N_("Run one tick of the cycle: advance, escalate, deliver mail (the review-cycle flow).")
)
def tick(
    code: CycleArg,
    now: NowOption = None,
    wait: float = typer.Option(
        0.0,
        help=N_(
            "On a Prefect server: seconds to wait for the handed-off run to finish "
            "(default: do not wait)."
        ),
    ),
) -> None:
    from kiemdiem.cli._handoff import hand_off
    from kiemdiem.prefect_env import prepare_prefect
    from models import load_settings, resolve_now
    from models.db import probe_writable
    from states.cycles import get_cycle

    with transaction() as session:
        get_cycle(session, code)
        probe_writable(session)  # a read-only database: one line, before Prefect starts
    parameters = {"cycle_code": code, "now": resolve_now(now).isoformat()}
    handed = hand_off("review-cycle", parameters, deployment=f"review-cycle/{code}", wait=wait)
    if handed is not None and handed.summary is None:
        _print_prefect_run(handed)
        return
    if handed is not None:
        assert handed.summary is not None
        summary = handed.summary
        _print_served(handed)
    else:
        from kiemdiem.prefect_env import (
            many_runs,
            prefect_template,
            start_embedded_prefect_yielding,
        )

        prepare_prefect()
        # Started before the flow, so it finds it running: beside the pages it can wait.
        start_embedded_prefect_yielding(load_settings().tick_nice, prefect_template())
        from flows import tick_here

        with storage_failures_in_one_line(), many_runs():
            summary = tick_here(
                code, now=parameters["now"], database_url=load_settings().database_url
            )
    moved = {k: v for k, v in summary["advanced"]["moved"].items() if v}
    moves = ", ".join(f"{names.STATES.name(k)} {v}" for k, v in moved.items()) or _("nothing")
    console.print(
        _("moved: {moves}; escalation steps {steps}, digests {digests}; mail {mail}").format(
            moves=moves,
            steps=summary["escalated"]["steps"],
            digests=summary["escalated"]["digests"],
            mail=_mail(summary["status"]["mails"]),
        )
    )


def _print_served(handed: Handed) -> None:
    """Where a run handed to `kiemdiem serve` ran, on stderr: the summary stays on stdout."""
    errors.print(
        _("run by kiemdiem serve ({process}), flow run {run}").format(
            process=text(handed.process or "?"), run=text(handed.flow_run_id or "?")
        )
    )


def _print_prefect_run(handed: Handed) -> None:
    """A run handed to a Prefect server's deployment: its id, its state so far, its page."""
    state = handed.state
    console.print(
        _("handed to Prefect: flow run {run}, {state}").format(
            run=text(handed.flow_run_id or "?"), state=text(state.get("name") or "?")
        )
        + (f" ({text(state['message'])})" if state.get("message") else "")
    )
    console.print(text(handed.url or ""))


def _storage_failure_in(exc: BaseException | None) -> StorageFailed | None:
    """The StorageFailed `exc` is or was raised from, if any."""
    from models import StorageFailed

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, StorageFailed):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


class _NoStorageFailureRecords(logging.Filter):
    """Drops the records Prefect logs about a run that failed on a storage failure (the
    task's and the flow's traceback, their "Finished in state Failed" lines): the CLI says
    it in one line after the run."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and _storage_failure_in(record.exc_info[1]) is not None:
            return False
        return "StorageFailed" not in record.getMessage()


@contextmanager
def storage_failures_in_one_line() -> Iterator[None]:
    """Run a flow so that a full disk or a read-only database inside it is one line: the
    StorageFailed itself raised (main prints it), none of Prefect's records about it."""
    quiet = _NoStorageFailureRecords()
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "prefect"]
    handlers = {h for n in names for h in logging.getLogger(n).handlers}
    handlers.update(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    except Exception as exc:
        failure = _storage_failure_in(exc)
        if failure is None or failure is exc:
            raise
        raise failure from None
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


def _mail(counts: dict[str, Any]) -> str:
    return names.counted(counts, names.MAIL_STATUSES)


# The opinions' standing.
N_("awaited")
N_("given")


def render_status(status: dict[str, Any]) -> None:
    """The figures of `cycle status` as tables in the person's language."""
    table = Table(
        title=_("{cycle} at {now}").format(cycle=text(status["cycle"]), now=_moment(status["now"]))
    )
    table.add_column(_("state"))
    table.add_column(_("units"), justify="right")
    for state, n in status["states"].items():
        table.add_row(names.capitalized(names.STATES.name(state)), str(n))
    console.print(table)
    stages = list(status["overdue"])
    overdue = Table(title=_("overdue by organization"))
    for column in (_("organization"), _("name"), *(names.STAGES.name(s) for s in stages)):
        overdue.add_column(column)
    overdue.add_column(_("total"), justify="right")
    for row in status["overdue_by_organization"]:
        overdue.add_row(
            text(row["organization"]),
            text(row["name"]),
            *(str(row.get(s, 0)) for s in stages),
            str(row["total"]),
        )
    console.print(overdue)
    if status["missing_addresses"]:
        gaps = Table(
            _("organization"),
            _("name"),
            _("missing"),
            _("mail goes to"),
            title=_("organizations without their own address (their mail goes up the tree)"),
        )
        for row in status["missing_addresses"]:
            gaps.add_row(
                *(text(row[c]) for c in ("organization", "name", "missing", "mail_goes_to"))
            )
        console.print(gaps)
    for row in status["mail_retrying"]:
        console.print(
            _("{n} mail(s) waiting to be retried (next at {at}): {error}").format(
                n=row["messages"], at=_moment(row["next_attempt_at"]), error=text(row["error"])
            ),
            style="yellow",
        )
    if status["mail_failures"]:
        failed = Table(
            _("recipient"),
            _("kind"),
            _("error"),
            _("failed at"),
            title=_("mail the server refused (fix the address and import again)"),
        )
        for row in status["mail_failures"]:
            failed.add_row(
                text(row["recipient"]),
                text(row["kind"]),
                text(row["error"]),
                _moment(row["failed_at"]),
            )
        console.print(failed)
    process = status["process"]
    opinions = ", ".join(f"{_(k)} {v}" for k, v in process["opinions"].items())
    levels = ", ".join(f"{names.LEVELS.name(k)} {v}" for k, v in process["final_levels"].items())
    shortcomings = ", ".join(
        f"{names.REMEDIATION_STATUSES.name(k)} {v}" for k, v in process["shortcomings"].items()
    )
    console.print(
        _(
            "suggestions {suggestions}; opinions: {opinions}; revotes open {revotes}; "
            "final levels: {levels}; shortcomings: {shortcomings}"
        ).format(
            suggestions=process["suggestions"],
            opinions=opinions or _("none"),
            revotes=process["revotes"],
            levels=levels or _("none"),
            shortcomings=shortcomings or _("none"),
        )
    )
    overdue_total = ", ".join(
        f"{names.STAGES.name(k)} {v}" for k, v in status["overdue"].items() if v
    )
    console.print(
        _("overdue: {overdue}; mail: {mail}").format(
            overdue=overdue_total or _("none"), mail=_mail(status["mails"])
        )
    )


@app.command(
    help=N_("Units per state, overdue per stage and organization, mail sent, pending and failed.")
)
def status(code: CycleArg, now: NowOption = None, json_output: JsonOption = False) -> None:
    from models import resolve_now
    from states import cycle_status
    from states.cycles import get_cycle

    with transaction() as session:
        result = cycle_status(session=session, cycle=get_cycle(session, code), now=resolve_now(now))
    if json_output:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        render_status(result)


@app.command(help=N_("Close a cycle whose units are all closed: its scheduled ticks stop."))
def close(code: CycleArg, now: NowOption = None) -> None:
    from models import resolve_now
    from states.closing import close_cycle
    from states.cycles import get_cycle

    with transaction() as session:
        closed = close_cycle(session=session, cycle=get_cycle(session, code), now=resolve_now(now))
    if os.environ.get("PREFECT_API_URL"):  # a Prefect server: stop the schedule now
        from flows._schedules import unschedule_cycle

        stopped = _("its schedule is off") if unschedule_cycle(code) else ""
    else:
        stopped = _("a scheduled tick of it turns its schedule off")
    said = _("cycle {cycle} closed") if closed else _("cycle {cycle} was already closed")
    console.print(said.format(cycle=text(code)) + (f"; {stopped}" if stopped else ""))
