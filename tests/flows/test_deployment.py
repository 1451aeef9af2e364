"""The multi-machine path: a Prefect server on its own PostgreSQL database, the deployments in
prefect.yaml, two process workers, and the cycle's database on PostgreSQL, as the runbook says a
province runs it."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine

from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import get_engine, init_db, session_scope
from models.org_import import import_organizations
from tests.factories import write_district, write_plan
from tests.flows.processes import PREFECT, _env, _prefect, _start, _stop

# Builds a wheel, runs the simulated people or a Prefect server: not for the minute loop.
pytestmark = pytest.mark.slow


def test_deployments_run_on_workers_against_postgresql(
    prefect_server: tuple[str, Path, str],
    postgres_url: str,
    smtp_server: LocalSMTPServer,
    tmp_path: Path,
) -> None:
    api, home, prefect_database = prefect_server
    engine: Engine = get_engine(postgres_url)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    env = _env(
        api,
        home,
        KIEMDIEM_SMTP_HOST="127.0.0.1",
        KIEMDIEM_SMTP_PORT=str(smtp_server.port),
        KIEMDIEM_DATABASE_URL=postgres_url,
        KIEMDIEM_KEYS_DIR=str(tmp_path / "keys"),
    )
    _prefect(["work-pool", "create", "kiemdiem", "--type", "process"], env)
    deployed = _prefect(["--no-prompt", "deploy", "--all"], env)
    assert "launch-cycle/launch-cycle" in deployed and "review-cycle/review-cycle" in deployed
    assert "deliver-outbox/deliver-outbox" in deployed
    workers = [
        _start(
            [PREFECT, "worker", "start", "--pool", "kiemdiem", "--name", f"w{i}"],
            env,
            tmp_path / f"worker{i}.log",
        )
        for i in (1, 2)
    ]
    try:
        launched = _prefect(
            [
                "deployment",
                "run",
                "launch-cycle/launch-cycle",
                "-p",
                f"plan_path={write_plan(tmp_path)}",
                "-p",
                "now=2026-11-10T08:00:00+07:00",
                "-p",
                f"database_url={postgres_url}",
                "--watch",
            ],
            env,
        )
        assert "finished successfully in 'Completed'" in launched, launched
        # The launch handed its mail to a deliver-outbox run on a worker, without waiting.
        deadline = time.monotonic() + 120
        while len(smtp_server.messages) < 14 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(smtp_server.messages) == 14
        # and gave the cycle its own deployment, ticking every morning: run that one
        assert "review-cycle/TT-2026" in _prefect(["deployment", "ls"], env)
        ticked = _prefect(
            [
                "deployment",
                "run",
                "review-cycle/TT-2026",
                "-p",
                "now=2026-11-19T08:00:00+07:00",
                "-p",
                f"database_url={postgres_url}",
                "--watch",
            ],
            env,
        )
        assert "finished successfully in 'Completed'" in ticked, ticked
        recipients = [r for m in smtp_server.messages for r in m.recipients]
        assert len(recipients) == 19 and len(set(m.message_id for m in smtp_server.messages)) == 19
        assert {"a1@example.vn", "g1@example.vn", "c1@example.vn"} <= set(recipients[14:])
        logs = "".join((tmp_path / f"worker{i}.log").read_text() for i in (1, 2))
        # The tick ran on one of the workers, and ended saying what is pending: no mail, and
        # the units not yet decided, in the office's language (Vietnamese unless KIEMDIEM_LANG).
        assert (
            "Flow run 'TT-2026 · D · tick' - Finished in state Completed('mọi thư đã được gửi. "
            "Đối tượng chưa được quyết định: 24 trên 24.')" in logs
        )
        # and Prefect kept its records in PostgreSQL, not in a SQLite file under its home.
        assert not list(home.glob("*.db"))
        with psycopg.connect(prefect_database.replace("+asyncpg", "")) as prefect_db:
            runs = prefect_db.execute(
                "SELECT name, state_type FROM flow_run ORDER BY name"
            ).fetchall()
            tick_tags = prefect_db.execute(
                "SELECT tags FROM flow_run WHERE name = 'TT-2026 · D · tick'"
            ).fetchone()
            tick_tasks = _task_run_names(prefect_db, "TT-2026 · D · tick", 6)
            commands = prefect_db.execute(  # a deployment's job variables, by their old name
                "SELECT name, infra_overrides->>'command' FROM deployment ORDER BY name"
            ).fetchall()
        # Each run, and each of the tick's task runs, named for the cycle and its committee.
        assert {
            ("TT-2026 · D · launch", "COMPLETED"),
            ("TT-2026 · D · delivery", "COMPLETED"),
            ("TT-2026 · D · tick", "COMPLETED"),
        } <= set(runs)
        assert tick_tasks == [
            f"TT-2026 · D · {what}"
            for what in ("advance", "deliver", "escalate", "insights", "status", "summary")
        ]
        # The cycle's deployment tags its runs with the cycle and its launching committee.
        assert tick_tags is not None and {"cycle:TT-2026", "org:D"} <= set(tick_tags[0])
        # Every run's process is the engine itself, with no supervisor process started before
        # it (prefect.yaml), the cycle's own deployment included (copied from review-cycle).
        engine = "python -m prefect.engine"
        assert sorted(commands) == [
            ("TT-2026", engine),
            ("deliver-outbox", engine),
            ("launch-cycle", engine),
            ("review-cycle", engine),
        ]
    finally:
        for worker in workers:
            _stop(worker)


def _task_run_names(prefect_db: psycopg.Connection, flow_run_name: str, count: int) -> list[str]:
    """The names of a flow run's task runs in Prefect's database, sorted, once `count` of them
    are there (they arrive as events, a little after the run ended)."""
    deadline = time.monotonic() + 60
    while True:
        names = sorted(
            name
            for (name,) in prefect_db.execute(
                "SELECT t.name FROM task_run t JOIN flow_run f ON f.id = t.flow_run_id "
                "WHERE f.name = %s",
                (flow_run_name,),
            ).fetchall()
        )
        if len(names) >= count or time.monotonic() > deadline:
            return names
        time.sleep(0.5)
