"""Launch a generated province and deliver its plan-issued mail, each beside its reference
measured in the same run: the launch's transaction beside raw sqlite3 `executemany` of the very
rows it wrote (units, deadlines, outbox), delivery beside raw aiosmtplib over the same number of
connections. Prints one table.

    python benchmarks/launch.py                      # 300,000 members, 15,000 cells
    python benchmarks/launch.py --members 20000      # smaller
    python benchmarks/launch.py --deliver 20000 --connections 4 --seed 2026
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import tempfile
import time
from datetime import timedelta
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
    os.environ.update(
        KIEMDIEM_KEYS_DIR=str(work / "keys"),
        KIEMDIEM_SMTP_FROM="kd@example.vn",
        KIEMDIEM_SMTP_CONCURRENCY=str(args.connections),
    )
    url = f"sqlite:///{work / 'bench.db'}"
    engine = get_engine(url)
    init_db(engine)
    table: list[tuple[str, str, str, str]] = []

    start = time.perf_counter()
    with session_scope(engine) as session:
        import_organizations(
            session=session, organizations_csv=made.organizations_csv, members_csv=made.members_csv
        )
    imported = time.perf_counter() - start
    plan = load_plan(made.plan_yaml)
    now = parse_instant("2026-11-10T08:00:00+07:00")
    rss_before = _rss_mib()
    start, cpu = time.perf_counter(), time.process_time()
    with session_scope(engine) as session:
        summary = launch(session=session, plan=plan, now=now, settings=load_settings())
    launched, launched_cpu = time.perf_counter() - start, time.process_time() - cpu
    rss = _rss_mib()
    with engine.connect() as connection:
        counts = {
            t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }
    # CPU seconds beside wall seconds: on a shared machine the wall clock of two runs a few
    # seconds apart measures the neighbours as much as the code (SQLite runs in this process).
    raw, raw_cpu = _raw_inserts(work / "bench.db", work / "raw.db")
    rows = sum(counts.values())
    table.append(("import (orgs + members)", f"{made.members} members", f"{imported:.1f} s", ""))
    table.append(
        (
            "launch: one transaction",
            f"{rows} rows",
            f"{launched:.1f} s",
            f"{launched / raw:.1f}x raw; CPU {launched_cpu:.1f} s = "
            f"{launched_cpu / raw_cpu:.1f}x raw; peak RSS {rss:.0f} MiB ({rss_before:.0f} before)",
        )
    )
    table.append(
        (
            "raw sqlite3 executemany",
            f"{rows} rows",
            f"{raw:.1f} s",
            f"same rows; CPU {raw_cpu:.1f} s",
        )
    )

    # Delivery: the first N queued mails; the rest wait (their next attempt moved a year on).
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE outboxmessage SET next_attempt_at = :later WHERE id > "
                "(SELECT min(id) FROM outboxmessage) + :n - 1"
            ),
            {"later": (now + timedelta(days=365)).replace(tzinfo=None), "n": args.deliver},
        )
    with SMTPServerProcess(work / "received.txt") as server:
        os.environ.update(KIEMDIEM_SMTP_HOST="127.0.0.1", KIEMDIEM_SMTP_PORT=str(server.port))
        settings = load_settings()
        start = time.perf_counter()
        # As the deliver_outbox task does: each address found again, links signed at delivery.
        report = deliver(
            engine,
            settings,
            now=now,
            readdress=readdress,
            personalize=lambda session, rows: personalize(session, rows, settings),
        )
        ours = time.perf_counter() - start
        sent = report.sent
        with sqlite3.connect(work / "bench.db") as db:
            mails = db.execute(
                "SELECT recipient, recipient_name, subject, body_text, body_html, message_id "
                "FROM outboxmessage WHERE sent_at IS NOT NULL ORDER BY id"
            ).fetchall()
        start = time.perf_counter()
        messages: list[object] = [
            build_mime(
                sender="kd@example.vn",
                recipient=r,
                recipient_name=n,
                subject=s,
                text=t,
                html=h,
                msg_id=m,
            )
            for r, n, s, t, h, m in mails
        ]
        built = time.perf_counter() - start
        start = time.perf_counter()
        asyncio.run(_raw_send(messages, server.port, args.connections))
        raw_send = time.perf_counter() - start
        # The reference a raw deliverer is: the rows made into MIME and sent.
        raw_whole = built + raw_send
        assert server.received() == sent + len(messages), (server.received(), sent)
    table.append(
        (
            f"deliver, {args.connections} connections",
            f"{sent} mails",
            f"{ours:.1f} s",
            f"{sent / ours:.0f} msg/s = {raw_whole / ours:.2f}x raw "
            f"({raw_send / ours:.2f}x its sending alone)",
        )
    )
    table.append(
        (
            f"raw aiosmtplib, {args.connections} conns",
            f"{len(messages)} mails",
            f"{raw_whole:.1f} s",
            f"{len(messages) / raw_whole:.0f} msg/s: MIME built {built:.1f} s, "
            f"sent {raw_send:.1f} s",
        )
    )
    print(
        f"launch of {summary.cycle}: units {summary.units}, mails queued "
        f"{summary.mails_queued} ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
    )
    print(f"{'what':30} {'size':>16} {'time':>8}  reference")
    for what, size, seconds, note in table:
        print(f"{what:30} {size:>16} {seconds:>8}  {note}")


if __name__ == "__main__":
    main()
