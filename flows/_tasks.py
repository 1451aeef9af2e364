"""The tasks both flows are made of: each opens its own transaction and is safe to rerun."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import Task, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from sqlmodel import Session

from flows._run_names import plan_task_name, task_name
from models import OutboxMessage, get_engine, init_db, load_settings, session_scope
from models.db import is_transient
from notifications import deliver
from states import advance, cycle_status, escalate, launch, load_plan
from states.ballot_box import retire_ballot_key
from states.cycles import begin_tick, earlier_open_cycles, get_cycle, launcher_code
from states.failures import queue_failure_digest
from states.recipients import readdress
from states.signin import personalize
from vocabulary import _, dates, names


def transient_database_error(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """Retry a task only for what a rerun can get past (SQLite's "database is locked",
    PostgreSQL's serialization failures, a dropped connection): each task is one transaction,
    rolled back when it failed, so running it again is safe. Anything else fails at once."""
    try:
        state.result()
    except Exception as exc:
        return is_transient(exc)
    return False


# Every database task: up to three more tries, a little later each time.
DB_RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": [1, 5, 15],
    "retry_condition_fn": transient_database_error,
}


@task(cache_policy=NO_CACHE, task_run_name=plan_task_name("create"), **DB_RETRIES)
def create_cycle(plan_path: str, now: datetime, database_url: str | None) -> dict[str, Any]:
    """Validate the plan and create the cycle, its units, deadlines and plan-issued mail."""
    plan = load_plan(Path(plan_path))
    engine = get_engine(database_url)
    init_db(engine)
    with session_scope(engine) as session:
        summary = launch(
            session=session,
            plan=plan,
            now=now,
            settings=load_settings(),
            source=Path(plan_path).name,
        )
    return {**summary.__dict__, "timezone": plan.timezone}


@task(cache_policy=NO_CACHE, task_run_name=task_name("advance"), **DB_RETRIES)
def advance_units(cycle_code: str, now: datetime, database_url: str | None) -> dict[str, Any]:
    """Record the tick and make every move that is due, in one transaction."""
    with session_scope(get_engine(database_url)) as session:
        cycle = get_cycle(session, cycle_code)
        if cycle.closed_at is not None:  # closed: nothing moves again, and no tick is recorded
            return {"tick_id": None, "closed": True, "moved": {}, "earlier_open": {}}
        tick = begin_tick(session, cycle, now)
        moved = advance(session=session, cycle=cycle, now=now)
        # Each earlier cycle still open, with its launching committee (its tasks' names).
        earlier = {
            c.code: launcher_code(session, c.code) for c in earlier_open_cycles(session, cycle)
        }
        retired = retire_ballot_key(session=session, cycle=cycle, settings=load_settings())
    return {
        "tick_id": tick.id,
        "moved": moved,
        "earlier_open": earlier,
        "ballot_key_retired": str(retired) if retired else None,
    }


@task(cache_policy=NO_CACHE, task_run_name=task_name("escalate"), **DB_RETRIES)
def queue_escalations(
    cycle_code: str, tick_id: int, now: datetime, database_url: str | None
) -> dict[str, Any]:
    """Record the ladder steps that are due and queue their digests, in one transaction."""
    from models import Tick

    with session_scope(get_engine(database_url)) as session:
        cycle = get_cycle(session, cycle_code)
        tick = session.get(Tick, tick_id)
        assert tick is not None
        result = escalate(
            session=session, cycle=cycle, tick=tick, now=now, settings=load_settings()
        )
    return result.__dict__


@task(cache_policy=NO_CACHE, task_run_name=task_name("deliver"), **DB_RETRIES)
def deliver_outbox(
    now: datetime, database_url: str | None, cycle_code: str | None = None
) -> dict[str, Any]:
    """Send the due outbox over reused SMTP connections; what fails waits for a later tick.

    With a cycle, mail refused for good since the last digest is then reported to the
    launching office (once a local day), and that digest is sent too.
    """
    engine, settings = get_engine(database_url), load_settings()

    def sign_links(session: Session, rows: Sequence[OutboxMessage]) -> dict[int, tuple[str, str]]:
        return personalize(session, rows, settings)

    report = deliver(
        engine, settings, now=now, readdress=readdress, personalize=sign_links
    ).__dict__
    if cycle_code is not None:
        with session_scope(engine) as session:
            cycle = get_cycle(session, cycle_code)
            report["failure_digests"] = queue_failure_digest(
                session=session, cycle=cycle, now=now, settings=settings
            )
        if report["failure_digests"]:
            deliver(engine, settings, now=now, readdress=readdress, personalize=sign_links)
    return report


# A unit whose review is decided: its level published, remedying its shortcomings, or closed.
DECIDED = ("published", "remediation", "closed")


def artifact_key(cycle_code: str, what: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in cycle_code.lower()).strip("-")
    return f"{slug}-{what}"


def _status_tables(status: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The status's tables as people read them: columns and names in the current language."""
    stages = list(status["overdue"])
    process = status["process"]
    records = [
        (_("review suggestions"), process["suggestions"]),
        *(
            (_("opinions {standing}").format(standing=_(k)), n)
            for k, n in process["opinions"].items()
        ),
        (_("revotes open"), process["revotes"]),
        *((names.LEVELS.name(k), n) for k, n in process["final_levels"].items()),
        *(
            (_("shortcomings {status}").format(status=names.REMEDIATION_STATUSES.name(k)), n)
            for k, n in process["shortcomings"].items()
        ),
    ]
    return {
        "states": [
            {_("state"): names.capitalized(names.STATES.name(s)), _("units"): n}
            for s, n in status["states"].items()
        ],
        "overdue": [
            {
                _("organization"): row["organization"],
                _("name"): row["name"],
                **{names.capitalized(names.STAGES.name(s)): row.get(s, 0) for s in stages},
                _("total"): row["total"],
            }
            for row in status["overdue_by_organization"]
        ]
        or [{_("organization"): "-", _("total"): 0}],
        "missing-addresses": [
            {
                _("organization"): row["organization"],
                _("name"): row["name"],
                _("missing"): row["missing"],
                _("mail goes to"): row["mail_goes_to"],
            }
            for row in status["missing_addresses"]
        ]
        or [{_("organization"): "-", _("missing"): _("none")}],
        "process": [{_("record"): what, _("count"): n} for what, n in records],
        "mail-failures": [
            {
                _("recipient"): row["recipient"],
                _("name"): row["name"],
                _("kind"): row["kind"],
                _("subject"): row["subject"],
                _("error"): row["error"],
                _("failed at"): dates.moment(datetime.fromisoformat(row["failed_at"]))
                if row["failed_at"]
                else "",
            }
            for row in status["mail_failures"]
        ],
    }


@task(cache_policy=NO_CACHE, task_run_name=task_name("status"), **DB_RETRIES)
def publish_status(cycle_code: str, now: datetime, database_url: str | None) -> dict[str, Any]:
    """Publish counts per state and overdue per organization as Prefect table artifacts, in
    the office's language (KIEMDIEM_LANG) with times in the plan's zone, as the CLI says them."""
    with session_scope(get_engine(database_url)) as session:
        status = cycle_status(session=session, cycle=get_cycle(session, cycle_code), now=now)
    tables = _status_tables(status)
    at = dates.moment(now)
    descriptions = {
        "states": _("{cycle} at {now}: units per state; mail: {mail}").format(
            cycle=cycle_code, now=at, mail=names.counted(status["mails"], names.MAIL_STATUSES)
        ),
        "overdue": _("{cycle} at {now}: overdue units per organization").format(
            cycle=cycle_code, now=at
        ),
        "missing-addresses": _(
            "{cycle}: organizations whose mail falls back to one above them"
        ).format(cycle=cycle_code),
        "process": _("{cycle} at {now}: the review process's own records").format(
            cycle=cycle_code, now=at
        ),
        "mail-failures": _("{cycle} at {now}: mail the server refused for good").format(
            cycle=cycle_code, now=at
        ),
    }
    for what, description in descriptions.items():
        # Refused mail stays refused: without any, the last such table stays true.
        if tables[what]:
            create_table_artifact(
                key=artifact_key(cycle_code, what), table=tables[what], description=description
            )
    decided = sum(status["states"].get(state, 0) for state in DECIDED)
    total = status["units"]
    status["decided"] = decided
    create_progress_artifact(
        progress=round(100 * decided / total, 1) if total else 100.0,
        key=artifact_key(cycle_code, "progress"),
        description=_(
            "{cycle} at {now}: {decided} of {total} units decided (published, remediating or "
            "closed)"
        ).format(cycle=cycle_code, now=at, decided=decided, total=total),
    )
    return status


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md(text: object) -> str:
    """Text (a cycle code, an SMTP server's answer) as literal markdown: no markup, no HTML."""
    plain = " ".join(str(text).split()).replace("&", "&amp;").replace("<", "&lt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain)


def tick_markdown(cycle_code: str, now: datetime, summary: dict[str, Any], pending: str) -> str:
    """What one tick changed and sent, for the cycle's `tick` markdown artifact, in the
    office's language."""
    status = summary["status"]
    lines = [
        "# "
        + _("Tick of {cycle} at {now}").format(cycle=md(cycle_code), now=md(dates.moment(now))),
        "",
        _("**Units decided:** {decided} of {units}; **overdue now:** {overdue}").format(
            decided=status["decided"],
            units=status["units"],
            overdue=sum(status["overdue"].values()),
        ),
        "",
        "## " + _("Changed"),
        "",
    ]
    moves = [(cycle_code, move, n) for move, n in summary["advanced"]["moved"].items() if n] + [
        (code, move, n)
        for code, earlier in summary["earlier"].items()
        for move, n in earlier["advanced"]["moved"].items()
        if n
    ]
    if moves:
        lines += [
            f"| {_('cycle')} | {_('move')} | {_('units')} |",
            "|---|---|---:|",
        ]
        lines += [
            f"| {md(c)} | {md(names.capitalized(names.ACTIONS.name(m)))} | {n} |"
            for c, m, n in moves
        ]
    else:
        lines.append(_("No unit moved."))
    escalated = summary["escalated"]
    delivery = summary["delivery"]
    lines += [
        "",
        _(
            "Escalation steps recorded: {steps}; digests queued: {digests}; units with no one "
            "to tell: {unresolved}."
        ).format(
            steps=escalated["steps"],
            digests=escalated["digests"],
            unresolved=len(escalated["unresolved"]),
        ),
        "",
        "## " + _("Sent"),
        "",
        _("Mails sent: {sent}; refused for good: {failed}; to retry: {retried}.").format(
            sent=delivery["sent"], failed=delivery["failed"], retried=delivery["retried"]
        ),
    ]
    lines += [f"- {md(error)}" for error in delivery["errors"]]
    lines += ["", "## " + _("Pending"), "", md(pending), ""]
    return "\n".join(lines)


@task(cache_policy=NO_CACHE, task_run_name=task_name("summary"))
def publish_summary(cycle_code: str, now: datetime, summary: dict[str, Any], pending: str) -> str:
    """The tick's markdown summary as the cycle's `tick` artifact (its key keeps the latest)."""
    markdown = tick_markdown(cycle_code, now, summary, pending)
    create_markdown_artifact(
        key=artifact_key(cycle_code, "tick"),
        markdown=markdown,
        description=_("{cycle} at {now}: what this tick changed and sent").format(
            cycle=cycle_code, now=dates.moment(now)
        ),
    )
    return markdown
