"""How long the tick holds SQLite's write lock, transaction by transaction: the pages
benchmark's district (bench/pages_setup.py, the launch's 2,000-odd mails still in the
outbox), then its tick a day after the launch in this process, its tasks called without
Prefect (advance, escalate, delivery to a local aiosmtpd), while a probe takes the write lock
(BEGIN IMMEDIATE) every 20 ms from its own connection.

    python bench/tick_locks.py [--members 2000] [--cli | --flow]

Prints each phase's wall and CPU seconds, the number of write transactions, their longest
holds (from the first write statement to the commit, with that statement's first words) and
the probe's longest wait. `--cli`: the real `kiemdiem cycle tick` in a process of its own
instead (Prefect's embedded API, the flow and its artifacts), its wall and CPU seconds;
`--flow`: the `review-cycle` flow in this process, its holds traced. A page's write waits
at most about the longest hold.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script
from bench.pages import LockProbe
from bench.pages_setup import LAUNCHED, prepare


class Holds:
    """Per connection: when its transaction first wrote, and what; the holds at each end."""

    def __init__(self) -> None:
        self.open: dict[int, tuple[float, str]] = {}
        self.done: list[tuple[float, str, str]] = []
        self.phase = ""
        self.guard = threading.Lock()

    def attach(self, engine: Any) -> None:
        from sqlalchemy import event

        from models.db import WriterLock

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if id(conn.connection) in self.open:
                return
            if statement.lstrip()[:7].upper().startswith(WriterLock.WRITES):
                what = " ".join(statement.split()[:6])[:60]
                self.open[id(conn.connection)] = (time.perf_counter(), what)

        def end(conn: Any) -> None:
            began = self.open.pop(id(conn.connection), None)
            if began is not None:
                with self.guard:
                    self.done.append((time.perf_counter() - began[0], self.phase, began[1]))

        event.listen(engine, "commit", end)
        event.listen(engine, "rollback", end)


def main(members: int, cli: bool, flow: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="kiemdiem-bench-ticklocks-"))
    sqlite_file = work / "bench.db"
    os.environ.update(
        {
            "KIEMDIEM_DATABASE_URL": f"sqlite:///{sqlite_file}",
            "KIEMDIEM_KEYS_DIR": str(work / "keys"),
            "KIEMDIEM_BASE_URL": "http://127.0.0.1:8000",
            "KIEMDIEM_NOW": (LAUNCHED + timedelta(days=1, hours=1)).isoformat(),
        }
    )
    from kiemdiem.demo.smtp_server import SMTPServerProcess
    from models import get_engine, load_settings, resolve_now

    settings = load_settings()
    prepared = prepare(work, settings.database_url, 10, members)
    from flows._tasks import advance_units, deliver_outbox, queue_escalations

    holds = Holds()
    holds.attach(get_engine(settings.database_url))
    now = resolve_now()
    with SMTPServerProcess(work / "smtp.txt") as smtp:
        os.environ["KIEMDIEM_SMTP_PORT"] = str(smtp.port)
        probe = LockProbe(str(sqlite_file))
        probe.start()
        phases: list[tuple[str, float, float]] = []

        def phase(name: str, call: Any) -> Any:
            holds.phase = name
            wall, cpu = time.perf_counter(), time.process_time()
            out = call()
            phases.append((name, time.perf_counter() - wall, time.process_time() - cpu))
            return out

        if cli:
            import resource
            import subprocess

            kiemdiem = Path(sys.executable).with_name("kiemdiem")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            phase(
                "cycle tick",
                lambda: subprocess.run(
                    [str(kiemdiem), "cycle", "tick", prepared.cycle],
                    check=True,
                    stdout=subprocess.DEVNULL,
                ),
            )
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = sum(getattr(after, f) - getattr(before, f) for f in ("ru_utime", "ru_stime"))
            phases[-1] = (phases[-1][0], phases[-1][1], cpu)
            probe.stopped.set()
            probe.join()
            print(f"\n{members} members; load average {os.getloadavg()[0]:.2f} (2 cores)")
            wall = phases[-1][1]
            print(f"  kiemdiem cycle tick: {wall:.1f} s, {cpu:.1f} s of CPU (with children)")
            print(f"  the probe's longest wait for the write lock: {probe.longest * 1000:.0f} ms")
            return
        if flow:
            from flows import review_cycle

            phase("flow", lambda: review_cycle(prepared.cycle))
        else:
            advanced = phase("advance", lambda: advance_units.fn(prepared.cycle, now, None))
            phase(
                "escalate",
                lambda: queue_escalations.fn(prepared.cycle, advanced["tick_id"], now, None),
            )
            phase("deliver", lambda: deliver_outbox.fn(now, None, prepared.cycle))
        probe.stopped.set()
        probe.join()
    print(f"\n{members} members; load average {os.getloadavg()[0]:.2f} (2 cores)")
    print(f"  {'phase':<10} {'wall s':>7} {'CPU s':>7} {'writes':>7} {'longest ms':>11}")
    for name, wall, cpu in phases:
        mine = [h for h, p, _ in holds.done if p == name]
        print(
            f"  {name:<10} {wall:>7.2f} {cpu:>7.2f} {len(mine):>7} "
            f"{max(mine, default=0) * 1000:>11.0f}"
        )
    print("  the longest holds:")
    for hold, name, what in sorted(holds.done, reverse=True)[:8]:
        print(f"    {hold * 1000:7.1f} ms  {name:<9} {what}")
    print(f"  the probe's longest wait for the write lock: {probe.longest * 1000:.0f} ms")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    members = int(args[args.index("--members") + 1]) if "--members" in args else 2000
    main(members, "--cli" in args, "--flow" in args)
