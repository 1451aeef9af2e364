"""A `cycle launch` and a `cycle tick` typed while the office's `kiemdiem serve` runs are run by
serve's warm Prefect, not by a Prefect the command starts itself: a real serve process, real
CLI processes, the flow runs found in serve's Prefect database and nowhere else."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select

from kiemdiem.demo.smtp_server import LocalSMTPServer, free_port
from models import Tick, get_engine, init_db, session_scope
from models.handoff import FlowRequest, live_server, read_request, request_run
from models.org_import import import_organizations
from tests.factories import write_district, write_plan

# A Prefect API starts inside serve: not for the minute loop.
pytestmark = pytest.mark.slow

KIEMDIEM = str(Path(sys.executable).with_name("kiemdiem"))
NOW = "2026-11-19T08:00:00+07:00"


@pytest.fixture
def office(tmp_path: Path, smtp_server: LocalSMTPServer) -> dict[str, str]:
    """The environment of an office: its SQLite file with the district imported, its mail."""
    database = f"sqlite:///{tmp_path / 'office.db'}"
    engine = get_engine(database)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KIEMDIEM_"))}
    env.update(
        KIEMDIEM_DATABASE_URL=database,
        KIEMDIEM_KEYS_DIR=str(tmp_path / "keys"),
        KIEMDIEM_SMTP_HOST="127.0.0.1",
        KIEMDIEM_SMTP_PORT=str(smtp_server.port),
        KIEMDIEM_LANG="en",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    return env


@pytest.fixture
def serve(office: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`kiemdiem serve` in its own process, on its own Prefect home, once it beats."""
    env = {**office, "PREFECT_HOME": str(tmp_path / "serve-prefect")}
    env["KIEMDIEM_SERVE_PORT"] = str(free_port())
    log = tmp_path / "serve.log"
    process = subprocess.Popen(
        [KIEMDIEM, "serve", "--no-mail"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    engine = get_engine(office["KIEMDIEM_DATABASE_URL"])
    deadline = time.monotonic() + 240
    try:
        while True:
            with session_scope(engine) as session:
                if live_server(session) is not None:
                    break
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "serve did not beat in 240 s\n" + log.read_text()
            time.sleep(0.5)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([KIEMDIEM, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_launch_and_tick_from_the_cli_are_run_by_serve(
    office: dict[str, str], serve: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    cli_home = tmp_path / "cli-prefect"
    env = {**office, "PREFECT_HOME": str(cli_home)}
    plan = write_plan(tmp_path)
    launched = _cli(["cycle", "launch", str(plan), "--now", "2026-11-10T08:00:00+07:00"], env)
    assert "cycle TT-2026 launched" in launched.stdout
    assert "run by kiemdiem serve" in launched.stderr
    ticked = _cli(["cycle", "tick", "TT-2026", "--now", NOW], env)
    assert "moved:" in ticked.stdout and "escalation steps" in ticked.stdout
    assert "run by kiemdiem serve" in ticked.stderr

    engine = get_engine(office["KIEMDIEM_DATABASE_URL"])
    with session_scope(engine) as session:
        requests = session.exec(select(FlowRequest).order_by(FlowRequest.id)).all()  # type: ignore[arg-type]
        ticks = session.exec(select(Tick)).all()
        assert [(r.flow, r.status) for r in requests] == [
            ("launch-cycle", "done"),
            ("review-cycle", "done"),
        ]
        # serve's process ran them, not the commands'
        assert all((r.claimed_by or "").endswith(f":{serve.pid}") for r in requests)
        assert all(r.requested_by != r.claimed_by for r in requests)
        # --now passed through: the tick is recorded at the command's instant
        assert datetime.fromisoformat(NOW) in [t.now for t in ticks]
        run_ids = [r.flow_run_id for r in requests]
    # The commands never started a Prefect API of their own: nothing under their home.
    assert not cli_home.exists() or not list(cli_home.rglob("*.db"))
    with sqlite3.connect(tmp_path / "serve-prefect" / "prefect.db") as prefect_db:
        runs = dict(prefect_db.execute("SELECT id, name FROM flow_run").fetchall())
    assert [runs.get(i) for i in run_ids] == ["TT-2026 · D · launch", "TT-2026 · D · tick"]


def test_serve_claims_at_once_when_woken_and_by_polling_when_not(
    office: dict[str, str], serve: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    env = {**office, "PREFECT_HOME": str(tmp_path / "cli-prefect")}
    _cli(["cycle", "launch", str(write_plan(tmp_path)), "--now", "2026-11-10T08:00:00+07:00"], env)
    engine = get_engine(office["KIEMDIEM_DATABASE_URL"])
    with session_scope(engine) as session:
        woken = session.exec(select(FlowRequest)).one()
        assert woken.claimed_at is not None
        # The command rang: claimed long before serve's next poll (0.5 s) would have come.
        assert (woken.claimed_at - woken.requested_at).total_seconds() < 0.25
        # A request nobody rings for (a command on another host) is found by the poll.
        asked = request_run(
            session=session, flow="review-cycle", parameters={"cycle_code": "TT-2026", "now": NOW}
        )
    deadline = time.monotonic() + 60
    while True:
        with session_scope(engine) as session:
            request = read_request(session, asked)
            assert request is not None
            if request.status == "done":
                break
        assert time.monotonic() < deadline, request.status
        time.sleep(0.2)
    assert request.claimed_at is not None and request.claimed_by == woken.claimed_by
    assert (request.claimed_at - request.requested_at).total_seconds() < 3


@pytest.fixture
def due(office: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The district's cycle launched (through the service layer, no Prefect) and serve's clock
    set past the next morning's tick hour: serve's morning tick is due the moment it starts."""
    from models import load_settings, parse_instant
    from states import launch, load_plan

    engine = get_engine(office["KIEMDIEM_DATABASE_URL"])
    with session_scope(engine) as session:
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path)),
            now=parse_instant("2026-11-10T08:00:00+07:00", where="test"),
            settings=load_settings(),
        )
    office["KIEMDIEM_NOW"] = NOW  # 19 Nov 08:00, past the 06:00 tick: due
    return office


def test_serve_started_with_a_tick_due_still_takes_handoffs(
    due: dict[str, str], serve: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    # Its morning tick and its handoff loop both start Prefect: one after the other, so the
    # loop beats (the fixture waited for that) and the morning tick runs too.
    engine = get_engine(due["KIEMDIEM_DATABASE_URL"])
    deadline = time.monotonic() + 120
    while True:
        with session_scope(engine) as session:
            if session.exec(select(Tick)).first() is not None:
                break
        assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
        time.sleep(0.5)
    env = {**due, "PREFECT_HOME": str(tmp_path / "cli-prefect")}
    ticked = _cli(["cycle", "tick", "TT-2026", "--now", "2026-11-20T08:00:00+07:00"], env)
    assert "run by kiemdiem serve" in ticked.stderr
