"""How long `kiemdiem cycle tick` takes from the command line: handed to a running `kiemdiem
serve`, and on its own (Prefect's embedded API started by the command, on a fresh and on a
used Prefect home). Real processes on a small district (the tests' factories, 24 units) in a
SQLite file; wall and CPU (user+sys) of each command. Prints one table.

    python bench/handoff.py               # 5 handed-off ticks, 2 one-off ticks
    python bench/handoff.py --ticks 10
    python bench/handoff.py --handoff-only   # serve's side only, launch handed off too
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlmodel import col, select  # noqa: E402

from kiemdiem.demo.smtp_server import SMTPServerProcess, free_port  # noqa: E402
from models import get_engine, init_db, session_scope  # noqa: E402
from models.handoff import FlowRequest, live_server  # noqa: E402
from models.org_import import import_organizations  # noqa: E402
from tests.factories import write_district, write_plan  # noqa: E402

KIEMDIEM = str(Path(sys.executable).with_name("kiemdiem"))
_STARTED = _ENDED = 0.0  # the last command's start and end, epoch seconds


def _phases(engine: Any) -> tuple[float, float, float, float]:
    """Where the last handed-off command's wall time went, from its request row: the command's
    start (until the row was written), the wait until serve claimed it, the flow's run in
    serve, and the command's noticing the result and printing it."""
    with session_scope(engine) as session:
        row = session.exec(select(FlowRequest).order_by(col(FlowRequest.id).desc())).first()
    assert row is not None and row.claimed_at is not None and row.finished_at is not None
    asked, claimed = row.requested_at.timestamp(), row.claimed_at.timestamp()
    finished = row.finished_at.timestamp()
    return asked - _STARTED, claimed - asked, finished - claimed, _ENDED - finished


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the command and its children, stderr) of one command."""
    global _STARTED, _ENDED
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _STARTED, start = time.time(), time.perf_counter()
    done = subprocess.run([KIEMDIEM, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    _ENDED = time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stdout + done.stderr
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout + done.stderr


def _deployment(api: str) -> None:
    """The tick's deployment on the Prefect server at `api` (`review-cycle/TT-2026`), made
    through its REST API when missing: the command only creates a flow run of it, which
    stays Scheduled without a worker, as the command's default (no --wait) expects."""
    import httpx

    with httpx.Client(base_url=api.rstrip("/") + "/", timeout=30) as http:
        made = http.post("flows/", json={"name": "review-cycle"})
        made.raise_for_status()
        http.post(
            "deployments/", json={"name": "TT-2026", "flow_id": made.json()["id"]}
        ).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=5, help="handed-off ticks to time")
    parser.add_argument(
        "--handoff-only",
        action="store_true",
        help="no one-off commands: serve starts first and runs the launch too",
    )
    parser.add_argument(
        "--prefect-api",
        metavar="URL",
        help="also time ticks handed to this Prefect server's deployment (PREFECT_API_URL)",
    )
    options = parser.parse_args()
    # A `timeout` or kill ends the run through its `finally`: the serve it started stops too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    work = Path(tempfile.mkdtemp(prefix="kiemdiem-handoff-"))
    database = f"sqlite:///{work / 'office.db'}"
    engine = get_engine(database)
    init_db(engine)
    orgs, members = write_district(work)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs, members_csv=members)
    rows: list[tuple[str, float, float]] = []
    phases: list[tuple[float, float, float, float]] = []
    with SMTPServerProcess(work / "received.txt") as smtp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "KIEMDIEM_"))}
        env.update(
            KIEMDIEM_DATABASE_URL=database,
            KIEMDIEM_KEYS_DIR=str(work / "keys"),
            KIEMDIEM_SMTP_HOST="127.0.0.1",
            KIEMDIEM_SMTP_PORT=str(smtp.port),
            KIEMDIEM_SMTP_STARTTLS="false",
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            KIEMDIEM_LANG="en",
        )

        def launch(label: str) -> None:
            wall, cpu, _ = _timed(
                ["cycle", "launch", str(write_plan(work)), "--now", "2026-11-10T08:00:00+07:00"],
                {**env, "PREFECT_HOME": str(work / "one-off")},
            )
            rows.append((label, wall, cpu))

        day = date(2026, 11, 11)

        def tick(label: str, home: str, **more: str) -> None:
            nonlocal day
            args = ["cycle", "tick", "TT-2026", "--now", f"{day.isoformat()}T08:00:00+07:00"]
            wall, cpu, said = _timed(args, {**env, "PREFECT_HOME": str(work / home), **more})
            assert ("run by kiemdiem serve" in said) == label.startswith("handed"), said
            assert ("handed to Prefect: flow run" in said) == bool(more), said
            rows.append((label, wall, cpu))
            line = f"{label:<38} {wall:7.2f} {cpu:7.2f}  load {os.getloadavg()[0]:.1f}"
            if label.startswith("handed"):
                phases.append(_phases(engine))
                line += "  " + " ".join(f"{p:5.2f}" for p in phases[-1])
            print(line, flush=True)
            day += timedelta(days=1)

        if not options.handoff_only:
            launch("one-off launch, fresh Prefect home")
            tick("one-off tick, used Prefect home", "one-off")
            tick("one-off tick, fresh Prefect home", "one-off-2")
        serve_env = {
            **env,
            "PREFECT_HOME": str(work / "serve"),
            "KIEMDIEM_SERVE_PORT": str(free_port()),
        }
        serve = subprocess.Popen(
            [KIEMDIEM, "serve", "--no-mail"],
            env=serve_env,
            stdout=(work / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            started = time.perf_counter()
            while True:
                with session_scope(engine) as session:
                    if live_server(session):
                        break
                assert serve.poll() is None, (work / "serve.log").read_text()
                time.sleep(0.2)
            print(f"kiemdiem serve took handoffs after {time.perf_counter() - started:.1f} s")
            if options.handoff_only:
                launch("launch handed to kiemdiem serve")
            for _ in range(options.ticks):
                tick("handed to kiemdiem serve", "cli")
            if options.prefect_api:
                _deployment(options.prefect_api)
                for _ in range(options.ticks):
                    tick(
                        "to a Prefect server's deployment",
                        "cli",
                        PREFECT_API_URL=options.prefect_api,
                    )
        finally:
            os.killpg(serve.pid, signal.SIGTERM)
            serve.wait(30)
    load = os.getloadavg()
    print(f"\n{'command':<38} {'wall s':>7} {'CPU s':>7}")
    for label, wall, cpu in rows:
        print(f"{label:<38} {wall:7.2f} {cpu:7.2f}")
    if phases:
        print(
            f"\n{'handed-off tick, median s':<38} {'start':>7} {'claim':>7} {'run':>7} {'after':>7}"
        )
        middle = [sorted(p[i] for p in phases)[len(phases) // 2] for i in range(4)]
        print(f"{'':<38} " + " ".join(f"{m:7.2f}" for m in middle))
    print(f"\nload average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
