"""How long `kiemdiem cycle tick` takes from the command line: handed to a running `kiemdiem
serve`, and on its own (Prefect's embedded API started by the command, on a fresh and on a
used Prefect home). Real processes on a small district (the tests' factories, 24 units) in a
SQLite file; wall and CPU (user+sys) of each command. Prints one table.

    python benchmarks/handoff.py               # 5 handed-off ticks, 2 one-off ticks
    python benchmarks/handoff.py --ticks 10
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kiemdiem.demo.smtp_server import SMTPServerProcess, free_port  # noqa: E402
from models import get_engine, init_db, session_scope  # noqa: E402
from models.handoff import live_server  # noqa: E402
from models.org_import import import_organizations  # noqa: E402
from tests.factories import write_district, write_plan  # noqa: E402

KIEMDIEM = str(Path(sys.executable).with_name("kiemdiem"))


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the command and its children, stderr) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([KIEMDIEM, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert done.returncode == 0, done.stdout + done.stderr
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=5, help="handed-off ticks to time")
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
        wall, cpu, _ = _timed(
            ["cycle", "launch", str(write_plan(work)), "--now", "2026-11-10T08:00:00+07:00"],
            {**env, "PREFECT_HOME": str(work / "one-off")},
        )
        rows.append(("one-off launch, fresh Prefect home", wall, cpu))
        day = date(2026, 11, 11)

        def tick(label: str, home: str) -> None:
            nonlocal day
            args = ["cycle", "tick", "TT-2026", "--now", f"{day.isoformat()}T08:00:00+07:00"]
            wall, cpu, said = _timed(args, {**env, "PREFECT_HOME": str(work / home)})
            assert ("run by kiemdiem serve" in said) == label.startswith("handed"), said
            rows.append((label, wall, cpu))
            print(f"{label:<38} {wall:7.2f} {cpu:7.2f}  load {os.getloadavg()[0]:.1f}", flush=True)
            day += timedelta(days=1)

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
            for _ in range(options.ticks):
                tick("handed to kiemdiem serve", "cli")
        finally:
            os.killpg(serve.pid, signal.SIGTERM)
            serve.wait(30)
    load = os.getloadavg()
    print(f"\n{'command':<38} {'wall s':>7} {'CPU s':>7}")
    for label, wall, cpu in rows:
        print(f"{label:<38} {wall:7.2f} {cpu:7.2f}")
    print(f"\nload average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
