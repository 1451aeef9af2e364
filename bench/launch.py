"""Launch a generated province and deliver its plan-issued mail, each beside its reference
measured in the same run: the launch's transaction beside raw sqlite3 `executemany` of the very
rows it wrote (units, deadlines, outbox), delivery beside raw aiosmtplib over the same number of
connections. Prints one table.

    python bench/launch.py                      # 300,000 members, 15,000 cells
    python bench/launch.py --members 20000      # smaller
    python bench/launch.py --deliver 20000 --connections 4 --seed 2026

`bench_launch` and `bench_delivery` are what `bench/province.py` calls for its launch and
delivery rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import aiosmtplib
from sqlalchemy import text

from kiemdiem.demo.generate import generate
from kiemdiem.demo.smtp_server import SMTPServerProcess
from models import get_engine, init_db, load_settings, parse_instant, session_scope
from models.org_import import import_organizations
from notifications import build_mime, deliver
from states import launch, load_plan
from states.recipients import readdress
from states.signin import personalize

TABLES = ("unit", "stagedeadline", "outboxmessage")
LAUNCHED = "2026-11-10T08:00:00+07:00"


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _raw_inserts(source: Path, target: Path) -> tuple[float, float]:
    """Insert the launch's own rows into an empty copy of the schema with sqlite3 executemany,
    in one transaction; the seconds it took, wall and CPU."""
    with sqlite3.connect(source) as src:
        rows = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in TABLES}
        columns = {t: len(src.execute(f"SELECT * FROM {t} LIMIT 1").description) for t in TABLES}
    init_db(get_engine(f"sqlite:///{target}"))
    get_engine(f"sqlite:///{target}").dispose()
    connection = sqlite3.connect(target, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    start, cpu = time.perf_counter(), time.process_time()
    connection.execute("BEGIN")
    for table in TABLES:
        marks = ",".join("?" * columns[table])
        connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
    connection.execute("COMMIT")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    connection.close()
    return seconds, cpu


async def _raw_send(messages: list[object], port: int, connections: int) -> None:
    async def one(share: list[object]) -> None:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as smtp:
            for message in share:
                await smtp.send_message(message)  # type: ignore[arg-type]

    await asyncio.gather(*(one(messages[i::connections]) for i in range(connections)))


@dataclass
class Launched:
    """The launch beside raw executemany of its rows: seconds wall and CPU, rows, peak RSS."""

    cycle: str
    units: dict[str, int]
    mails: int
    rows: int
    wall: float
    cpu: float
    raw_wall: float
    raw_cpu: float
    rss: float
    rss_before: float


def bench_launch(database: Path, plan_yaml: Path, work: Path, now: datetime) -> Launched:
    """Launch the plan on the imported `database` (the `create_cycle` task's work), then insert
    the rows it wrote into an empty schema in `work` by raw executemany."""
    engine = get_engine(f"sqlite:///{database}")
    plan = load_plan(plan_yaml)
    settings = load_settings()
    rss_before = _rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    with session_scope(engine) as session:
        summary = launch(session=session, plan=plan, now=now, settings=settings)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    rss = _rss_mib()
    with engine.connect() as connection:
        counts = {
            t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }
    engine.dispose()
    # CPU seconds beside wall seconds: on a shared machine the wall clock of two runs a few
    # seconds apart measures the neighbours as much as the code (SQLite runs in this process).
    raw_wall, raw_cpu = _raw_inserts(database, work / "launch-raw.db")
    return Launched(
        summary.cycle,
        summary.units,
        summary.mails_queued,
        sum(counts.values()),
        wall,
        cpu,
        raw_wall,
        raw_cpu,
        rss,
        rss_before,
    )


@dataclass
class Delivered:
    """Delivery beside raw aiosmtplib on the same connections: mails and seconds."""

    sent: int
    wall: float
    cpu: float
    raw: int
    built: float
    raw_send: float
    raw_cpu: float

    @property
    def raw_whole(self) -> float:
        # The reference a raw deliverer is: the rows made into MIME and sent.
        return self.built + self.raw_send


def bench_delivery(
    database: Path, server: SMTPServerProcess, now: datetime, *, mails: int, connections: int
) -> Delivered:
    """Deliver the first `mails` queued mails of `database` to `server` as the deliver_outbox
    task does (each address found again in the tree, links signed at delivery), then the same
    messages built from the sent rows and sent by raw aiosmtplib."""
    engine = get_engine(f"sqlite:///{database}")
    # The first N queued mails; the rest wait (their next attempt moved a year on).
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE outboxmessage SET next_attempt_at = :later WHERE status = 'PENDING' AND "
                "id > (SELECT min(id) FROM outboxmessage WHERE status = 'PENDING') + :n - 1"
            ),
            {"later": (now + timedelta(days=365)).replace(tzinfo=None), "n": mails},
        )
    concurrency = os.environ.get("KIEMDIEM_SMTP_CONCURRENCY")
    os.environ.update(
        KIEMDIEM_SMTP_HOST="127.0.0.1",
        KIEMDIEM_SMTP_PORT=str(server.port),
        KIEMDIEM_SMTP_CONCURRENCY=str(connections),
    )
    settings = load_settings()
    # The caller's own setting back for what it runs next (province.py's flows).
    if concurrency is None:
        del os.environ["KIEMDIEM_SMTP_CONCURRENCY"]
    else:
        os.environ["KIEMDIEM_SMTP_CONCURRENCY"] = concurrency
    received = server.received()
    start, cpu = time.perf_counter(), time.process_time()
    report = deliver(
        engine,
        settings,
        now=now,
        readdress=readdress,
        personalize=lambda session, rows: personalize(session, rows, settings),
    )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    with sqlite3.connect(database) as db:
        sent = db.execute(
            "SELECT recipient, recipient_name, subject, body_text, body_html, message_id "
            "FROM outboxmessage WHERE sent_at IS NOT NULL AND kind = 'plan_issued' ORDER BY id"
        ).fetchall()
    start, raw_cpu = time.perf_counter(), time.process_time()
    messages: list[object] = [
        build_mime(
            sender=settings.smtp_from,
            recipient=r,
            recipient_name=n,
            subject=s,
            text=t,
            html=h,
            msg_id=m,
        )
        for r, n, s, t, h, m in sent
    ]
    built = time.perf_counter() - start
    start = time.perf_counter()
    asyncio.run(_raw_send(messages, server.port, connections))
    raw_send, raw_cpu = time.perf_counter() - start, time.process_time() - raw_cpu
    assert server.received() == received + report.sent + len(messages), (
        server.received(),
        received,
        report.sent,
    )
    return Delivered(report.sent, wall, cpu, len(messages), built, raw_send, raw_cpu)


def launch_rows(launched: Launched) -> list[tuple[str, str, str, str]]:
    """The launch's two rows of the table: what, size, seconds, reference."""
    lr = launched
    return [
        (
            "launch: one transaction",
            f"{lr.rows} rows",
            f"{lr.wall:.1f} s",
            f"{lr.wall / lr.raw_wall:.1f}x raw; CPU {lr.cpu:.1f} s = "
            f"{lr.cpu / lr.raw_cpu:.1f}x raw; peak RSS {lr.rss:.0f} MiB "
            f"({lr.rss_before:.0f} before)",
        ),
        (
            "raw sqlite3 executemany",
            f"{lr.rows} rows",
            f"{lr.raw_wall:.1f} s",
            f"same rows; CPU {lr.raw_cpu:.1f} s",
        ),
    ]


def delivery_rows(d: Delivered, connections: int) -> list[tuple[str, str, str, str]]:
    """The delivery's two rows of the table: what, size, seconds, reference."""
    return [
        (
            f"deliver, {connections} connections",
            f"{d.sent} mails",
            f"{d.wall:.1f} s",
            f"{d.sent / d.wall:.0f} msg/s = {d.raw_whole / d.wall:.2f}x raw "
            f"({d.raw_send / d.wall:.2f}x its sending alone); CPU {d.cpu:.1f} s",
        ),
        (
            f"raw aiosmtplib, {connections} conns",
            f"{d.raw} mails",
            f"{d.raw_whole:.1f} s",
            f"{d.raw / d.raw_whole:.0f} msg/s: MIME built {d.built:.1f} s, "
            f"sent {d.raw_send:.1f} s; CPU {d.raw_cpu:.1f} s",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--cells", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--deliver", type=int, default=20_000, help="mails to deliver")
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiemdiem-bench-launch-"))
    grassroots = max(1, args.cells // 10)
    made = generate(
        work, seed=args.seed, members=args.members, cells=args.cells, grassroots=grassroots
    )
    os.environ.update(KIEMDIEM_KEYS_DIR=str(work / "keys"), KIEMDIEM_SMTP_FROM="kd@example.vn")
    database = work / "bench.db"
    engine = get_engine(f"sqlite:///{database}")
    init_db(engine)
    table: list[tuple[str, str, str, str]] = []

    start = time.perf_counter()
    with session_scope(engine) as session:
        import_organizations(
            session=session, organizations_csv=made.organizations_csv, members_csv=made.members_csv
        )
    imported = time.perf_counter() - start
    engine.dispose()
    now = parse_instant(LAUNCHED)
    launched = bench_launch(database, made.plan_yaml, work, now)
    table.append(("import (orgs + members)", f"{made.members} members", f"{imported:.1f} s", ""))
    table += launch_rows(launched)
    with SMTPServerProcess(work / "received.txt") as server:
        delivered = bench_delivery(
            database, server, now, mails=args.deliver, connections=args.connections
        )
    table += delivery_rows(delivered, args.connections)
    print(
        f"launch of {launched.cycle}: units {launched.units}, mails queued "
        f"{launched.mails} ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
    )
    print(f"{'what':30} {'size':>16} {'time':>8}  reference")
    for what, size, seconds, note in table:
        print(f"{what:30} {size:>16} {seconds:>8}  {note}")


if __name__ == "__main__":
    main()
