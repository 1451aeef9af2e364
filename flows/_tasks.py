"""The tasks both flows are made of: each opens its own transaction and is safe to rerun."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from models import OutboxMessage, get_engine, init_db, load_settings, session_scope
from notifications import deliver
from states import advance, cycle_status, escalate, launch, load_plan
from states.ballot_box import retire_ballot_key
from states.cycles import begin_tick, earlier_open_cycles, get_cycle
from states.failures import queue_failure_digest
from states.recipients import readdress
from states.signin import personalize


@task(cache_policy=NO_CACHE)
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


@task(cache_policy=NO_CACHE, task_run_name="advance-{cycle_code}")
def advance_units(cycle_code: str, now: datetime, database_url: str | None) -> dict[str, Any]:
    """Record the tick and make every move that is due, in one transaction."""
    with session_scope(get_engine(database_url)) as session:
        cycle = get_cycle(session, cycle_code)
        if cycle.closed_at is not None:  # closed: nothing moves again, and no tick is recorded
            return {"tick_id": None, "closed": True, "moved": {}, "earlier_open": []}
        tick = begin_tick(session, cycle, now)
        moved = advance(session=session, cycle=cycle, now=now)
        earlier = [c.code for c in earlier_open_cycles(session, cycle)]
        retired = retire_ballot_key(session=session, cycle=cycle, settings=load_settings())
    return {
        "tick_id": tick.id,
        "moved": moved,
        "earlier_open": earlier,
        "ballot_key_retired": str(retired) if retired else None,
    }


@task(cache_policy=NO_CACHE, task_run_name="escalate-{cycle_code}")
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


@task(cache_policy=NO_CACHE)
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


def _artifact_key(cycle_code: str, what: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in cycle_code.lower()).strip("-")
    return f"{slug}-{what}"


@task(cache_policy=NO_CACHE, task_run_name="status-{cycle_code}")
def publish_status(cycle_code: str, now: datetime, database_url: str | None) -> dict[str, Any]:
    """Publish counts per state and overdue per organization as Prefect table artifacts."""
    with session_scope(get_engine(database_url)) as session:
        status = cycle_status(session=session, cycle=get_cycle(session, cycle_code), now=now)
    create_table_artifact(
        key=_artifact_key(cycle_code, "states"),
        table=[{"state": s, "units": n} for s, n in status["states"].items()],
        description=f"{cycle_code} at {now.isoformat()}: units per state; mail {status['mails']}",
    )
    create_table_artifact(
        key=_artifact_key(cycle_code, "overdue"),
        table=status["overdue_by_organization"] or [{"organization": "-", "total": 0}],
        description=f"{cycle_code} at {now.isoformat()}: overdue units per organization",
    )
    create_table_artifact(
        key=_artifact_key(cycle_code, "missing-addresses"),
        table=status["missing_addresses"] or [{"organization": "-", "missing": "none"}],
        description=f"{cycle_code}: organizations whose mail falls back to one above them",
    )
    process = status["process"]
    create_table_artifact(
        key=_artifact_key(cycle_code, "process"),
        table=[
            {"record": "suggestions", "count": process["suggestions"]},
            *({"record": f"opinions {k}", "count": n} for k, n in process["opinions"].items()),
            {"record": "revotes open", "count": process["revotes"]},
            *({"record": f"final {k}", "count": n} for k, n in process["final_levels"].items()),
            *(
                {"record": f"shortcomings {k}", "count": n}
                for k, n in process["shortcomings"].items()
            ),
        ],
        description=f"{cycle_code} at {now.isoformat()}: the review process's own records",
    )
    if status["mail_failures"]:  # refused mail stays refused: the last table stays true
        create_table_artifact(
            key=_artifact_key(cycle_code, "mail-failures"),
            table=status["mail_failures"],
            description=f"{cycle_code} at {now.isoformat()}: mail the server refused for good",
        )
    return status
