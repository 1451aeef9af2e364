"""A province's import, a tick with 5% of units overdue, and a naive design against ours, each
beside its reference measured in the same run. Prints one table.

    python bench/province.py                              # 300,000 members, 15,000 cells
    python bench/province.py --members 50000 --cells 2500 # smaller
    python bench/province.py --naive-units 2000           # a smaller naive-vs-ours cycle

- import: `import_organizations` (the `kiemdiem org import` work) beside raw sqlite3
  `executemany` of the very rows it wrote (organizations, members) into an empty schema.
- launch and delivery (`bench/launch.py`'s `bench_launch`, `bench_delivery`): the launch's
  one transaction beside raw executemany of the rows it wrote, then `--deliver` of its mails
  to the local SMTP server beside raw aiosmtplib on the same `--connections`.
- tick: the review-cycle flow's state work called as its tasks call it, without Prefect
  (advance, escalate, status, each its own transaction), beside raw set-based SQL written here
  doing the same state work on a copy of the same database; then the real flow once on another
  copy, for Prefect's overhead. 5% of units are overdue: their self-review deadline is moved
  four days before the tick's `now` (every other unit is on time).
- naive vs ours: a cycle of about `--naive-units` units ticked through a naive design (a flow
  written here with one Prefect task per unit, each moving its unit in its own session)
  against the real `review-cycle` flow, on two copies of the same database. Prefect's embedded
  API is started once before both (its start is shown, and excluded from both).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text, update
from sqlmodel import col

from kiemdiem.demo.generate import District, generate
from models import get_engine, init_db, load_settings, parse_instant, session_scope
from models.cycle import StageDeadline, Unit
from models.org_import import import_organizations
from states import advance, cycle_status, escalate, launch, load_plan
from states.ballot_box import VOTES_OVER, retire_ballot_key
from states.cycles import begin_tick, earlier_open_cycles, get_cycle
from states.machine import STAGE_OF_STATE

# The cycle's clock: launched on the 10th, started (first tick) on the 23rd, the benchmarked
# tick on the 25th; the demo plan's self-review is due on 1 December, so a unit is overdue
# only where this script moves its deadline back.
LAUNCHED = "2026-11-10T08:00:00+07:00"
STARTED = "2026-11-23T08:00:00+07:00"
TICKED = "2026-11-25T08:00:00+07:00"
OVERDUE_EVERY = 20  # one unit in twenty: 5%


def _rss_mib() -> float:
    """This process's peak RSS. Linux's VmHWM, which starts afresh in a new program; the
    rusage figure elsewhere (on Linux it carries a parent's peak across fork and exec)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Timed:
    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def timed() -> Iterator[Timed]:
    """Wall and CPU seconds of the block (CPU: this process, which is where SQLite runs; on a
    shared machine the neighbours move the wall clock, hardly the CPU seconds)."""
    result = Timed()
    start, cpu = time.perf_counter(), time.process_time()
    yield result
    result.wall, result.cpu = time.perf_counter() - start, time.process_time() - cpu


@dataclass
class Table:
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(self, what: str, size: str, t: Timed | None, note: str = "") -> None:
        wall = f"{t.wall:.2f} s" if t else ""
        cpu = f"{t.cpu:.2f} s" if t else ""
        self.rows.append((what, size, wall, cpu, note))
        print(f"  … {what}: {wall} (CPU {cpu}) {note}", flush=True)  # kept if a later part fails

    def print(self) -> None:
        print(f"| {'what':38} | {'size':>22} | {'wall':>9} | {'CPU':>9} | reference")
        print(f"|{'-' * 40}|{'-' * 24}|{'-' * 11}|{'-' * 11}|---")
        for what, size, wall, cpu, note in self.rows:
            print(f"| {what:38} | {size:>22} | {wall:>9} | {cpu:>9} | {note}")


def ratio(ours: Timed, raw: Timed) -> str:
    return f"{ours.wall / raw.wall:.1f}x raw wall, {ours.cpu / max(raw.cpu, 1e-6):.1f}x raw CPU"


def copy_db(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite database (the backup API, WAL included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def raw_connection(path: Path) -> sqlite3.Connection:
    """sqlite3 with the pragmas the application's engine sets, transactions by hand."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def sql_instant(instant: datetime) -> str:
    """An instant as the application stores it on SQLite (UTC, naive, microseconds)."""
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


# --- import ----------------------------------------------------------------------------------


def bench_import(made: District, work: Path, table: Table) -> Path:
    """Import the two files into a fresh database; then raw executemany of the same rows."""
    ours = work / "import.db"
    engine = get_engine(f"sqlite:///{ours}")
    init_db(engine)
    with timed() as t, session_scope(engine) as session:
        summary = import_organizations(
            session=session, organizations_csv=made.organizations_csv, members_csv=made.members_csv
        )
    engine.dispose()
    empty = work / "import-raw.db"
    init_db(get_engine(f"sqlite:///{empty}"))
    get_engine(f"sqlite:///{empty}").dispose()
    tables = ("organization", "member")
    with sqlite3.connect(ours) as src:
        rows = {name: src.execute(f"SELECT * FROM {name}").fetchall() for name in tables}
    connection = raw_connection(empty)
    with timed() as raw:
        connection.execute("BEGIN")
        for name in tables:
            marks = ",".join("?" * len(rows[name][0]))
            connection.executemany(f"INSERT INTO {name} VALUES ({marks})", rows[name])
        connection.execute("COMMIT")
    connection.close()
    size = f"{summary.organizations_created} orgs, {summary.members_created} members"
    table.add("import (org import)", size, t, ratio(t, raw))
    table.add("  raw sqlite3 executemany", size, raw, "the same rows, one transaction")
    return ours


# --- launch, start, overdue ------------------------------------------------------------------


def launch_and_start(database: Path, plan_yaml: Path) -> dict[str, Any]:
    """Launch the cycle, tick it once (every unit starts), mark its mail sent; the state the
    benchmarked tick begins from. Returns the launch's summary."""
    engine = get_engine(f"sqlite:///{database}")
    plan = load_plan(plan_yaml)
    with session_scope(engine) as session:
        summary = launch(
            session=session, plan=plan, now=parse_instant(LAUNCHED), settings=load_settings()
        )
    tick_state_work(engine, plan.code, parse_instant(STARTED))
    with engine.begin() as connection:
        # The plan-issued mail is not this benchmark's: as if delivered.
        connection.execute(text("UPDATE outboxmessage SET status = 'SENT', sent_at = created_at"))
    engine.dispose()
    return summary.__dict__


def make_overdue(database: Path, now: datetime) -> int:
    """Move the self-review deadline of one unit in twenty four days before `now`."""
    engine = get_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        moved = connection.execute(
            update(StageDeadline)
            .where(
                col(StageDeadline.stage) == "self_review",
                col(StageDeadline.unit_id) % OVERDUE_EVERY == 0,
            )
            .values(due_at=now - timedelta(days=4))
        ).rowcount
    engine.dispose()
    return int(moved)


# --- the tick: ours without Prefect, raw SQL, the flow ---------------------------------------


def tick_state_work(engine: Any, cycle_code: str, now: datetime) -> dict[str, Any]:
    """The review-cycle flow's state work, as its tasks (flows/_tasks.py) call it: advance,
    escalate, status, each in its own transaction; no delivery, no artifacts."""
    with session_scope(engine) as session:
        cycle = get_cycle(session, cycle_code)
        tick = begin_tick(session, cycle, now)
        moved = advance(session=session, cycle=cycle, now=now)
        earlier_open_cycles(session, cycle)
        retire_ballot_key(session=session, cycle=cycle, settings=load_settings())
    with session_scope(engine) as session:
        cycle = get_cycle(session, cycle_code)
        escalated = escalate(
            session=session, cycle=cycle, tick=tick, now=now, settings=load_settings()
        )
    with session_scope(engine) as session:
        status = cycle_status(session=session, cycle=get_cycle(session, cycle_code), now=now)
    return {"moved": moved, "escalated": escalated.__dict__, "status": status}


def tick_alone(database: str, cycle_code: str, now: datetime) -> dict[str, Any]:
    """`tick_state_work` on `database`, timed, in a fresh process (see `bench_tick`)."""
    before = _rss_mib()
    engine = get_engine(f"sqlite:///{database}")
    with timed() as t:
        result = tick_state_work(engine, cycle_code, now)
    engine.dispose()
    result.pop("status")  # the figures only: what the table needs crosses the process line
    return {**result, "wall": t.wall, "cpu": t.cpu, "rss": _rss_mib(), "rss_before": before}


def raw_tick(database: Path, cycle_code: str, now: datetime, digests: list[tuple[Any, ...]]) -> int:
    """The same state work by hand: the tick row; the moves (only `start` could match here:
    every other move needs a person's act first, so its UPDATE is run and matches nothing);
    the opinions to ask; each ladder step due, once per unit and stage; the digests ours
    queued (their rows, inserted as they are: no recipient is resolved here, no payload
    built, no at-risk warning counted, no tree read); the counts the status reports.
    Returns the steps recorded."""
    plan = load_plan_of(database, cycle_code)
    at = sql_instant(now)
    connection = raw_connection(database)
    query = "SELECT id FROM cycle WHERE code = ?"
    (cycle_id,) = connection.execute(query, (cycle_code,)).fetchone()
    connection.execute("BEGIN")
    tick_id = connection.execute(
        "INSERT INTO tick (cycle_id, now, started_at) VALUES (?, ?, ?) RETURNING id",
        (cycle_id, at, at),
    ).fetchone()[0]
    # Opinions past due recorded missing (ours: `settle_opinions`, inside `advance`).
    connection.execute(
        "UPDATE opinion SET missing = 1 WHERE unit_id IN (SELECT id FROM unit WHERE cycle_id = ?)"
        " AND received_at IS NULL AND missing = 0 AND due_at <= ? RETURNING id",
        (cycle_id, at),
    ).fetchall()
    for trigger, source, dest in (
        ("start", "plan_issued", "self_review"),
        ("open_vote", "peer_review", "vote"),
        ("close", "published", "closed"),
        ("begin_remediation", "published", "remediation"),
        ("finish_remediation", "remediation", "closed"),
    ):
        connection.execute(
            'INSERT INTO auditentry (unit_id, at, actor, "trigger", from_state, to_state, via)'
            " SELECT id, ?, 'tick', ?, ?, ?, 'system' FROM unit WHERE cycle_id = ? AND state = ?",
            (at, trigger, source, dest, cycle_id, source),
        )
        connection.execute(
            "UPDATE unit SET state = ?, updated_at = ? WHERE cycle_id = ? AND state = ?",
            (dest, at, cycle_id, source),
        )
    # Shortcomings past due become overdue (ours: `mark_overdue`, inside `advance`; its
    # exclusion of split originals left out: this cycle has no shortcoming).
    connection.execute(
        "UPDATE shortcoming SET status = 'OVERDUE' WHERE cycle_id = ?"
        " AND status IN ('OPEN', 'IN_PROGRESS') AND due_at <= ? RETURNING id",
        (cycle_id, at),
    ).fetchall()
    # Whether any unit can still be voted on (ours: `retire_ballot_key`, the key on disk).
    over = [state.value for state in VOTES_OVER]
    marks = ",".join("?" * len(over))
    query = f"SELECT count(*) FROM unit WHERE cycle_id = ? AND state NOT IN ({marks})"
    connection.execute(query, (cycle_id, *over)).fetchone()
    connection.execute("COMMIT")
    connection.execute("BEGIN")
    # The opinions the tick asks for (ours: `ask_opinions`), marked asked as they are picked.
    connection.execute(
        "UPDATE opinion SET asked_at = ? WHERE unit_id IN (SELECT id FROM unit WHERE cycle_id = ?)"
        " AND asked_at IS NULL AND received_at IS NULL AND missing = 0 AND due_at > ?"
        " RETURNING unit_id, source, due_at",
        (at, cycle_id, at),
    ).fetchall()
    steps = 0
    for state, stage in STAGE_OF_STATE.items():
        for step, rung in enumerate(plan.escalation):
            due = sql_instant(now - rung.offset)
            reminder = " AND d.due_at > ?" if rung.offset.total_seconds() < 0 else ""
            steps += connection.execute(
                "INSERT INTO escalation (unit_id, stage, step, tick_id, queued_at)"
                " SELECT u.id, d.stage, ?, ?, ? FROM unit u JOIN stagedeadline d"
                " ON d.unit_id = u.id AND d.stage = ?"
                " WHERE u.cycle_id = ? AND u.state = ? AND d.due_at <= ?"
                + reminder
                + " ON CONFLICT DO NOTHING",
                (step, tick_id, at, stage, cycle_id, state.value, due)
                + ((at,) if reminder else ()),
            ).rowcount
    if digests:
        marks = ",".join("?" * len(digests[0]))
        connection.executemany(f"INSERT INTO outboxmessage VALUES ({marks})", digests)
    connection.execute("COMMIT")
    connection.execute(
        "SELECT state, count(*) FROM unit WHERE cycle_id = ? GROUP BY state", (cycle_id,)
    ).fetchall()
    for state, stage in STAGE_OF_STATE.items():
        connection.execute(
            "SELECT u.organization_id, count(*) FROM unit u JOIN stagedeadline d"
            " ON d.unit_id = u.id AND d.stage = ? WHERE u.cycle_id = ? AND u.state = ?"
            " AND d.due_at <= ? GROUP BY u.organization_id",
            (stage, cycle_id, state.value, at),
        ).fetchall()
    for query in (
        "SELECT status, count(*) FROM outboxmessage WHERE cycle_id = ? GROUP BY status",
        # The status's other counts (ours: `cycle_status`'s process, retrying mail, failures).
        "SELECT o.received_at IS NOT NULL, o.missing, count(*) FROM opinion o JOIN unit u"
        " ON u.id = o.unit_id WHERE u.cycle_id = ? GROUP BY 1, 2",
        "SELECT final_level, count(*) FROM unit WHERE cycle_id = ? AND final_level IS NOT NULL"
        " GROUP BY final_level",
        "SELECT status, count(*) FROM shortcoming WHERE cycle_id = ? GROUP BY status",
        "SELECT count(*) FROM suggestion s JOIN unit u ON u.id = s.unit_id WHERE u.cycle_id = ?",
        "SELECT count(*) FROM unit WHERE cycle_id = ? AND state = 'vote' AND vote_round > 1",
        "SELECT last_error, count(*), min(next_attempt_at) FROM outboxmessage WHERE cycle_id = ?"
        " AND status IN ('PENDING', 'SENDING') AND attempts > 0 GROUP BY last_error",
        "SELECT * FROM outboxmessage WHERE cycle_id = ? AND status = 'FAILED'"
        " ORDER BY id DESC LIMIT 200",
    ):
        connection.execute(query, (cycle_id,)).fetchall()
    # Organizations without an address of their own (the status lists them).
    connection.execute(
        "SELECT code, name, email, secretary_email FROM organization WHERE path LIKE"
        " (SELECT path FROM organization WHERE id = (SELECT launched_by_id FROM cycle"
        " WHERE id = ?)) || '%' AND (email IS NULL OR secretary_email IS NULL) ORDER BY path",
        (cycle_id,),
    ).fetchall()
    connection.close()
    return steps


def load_plan_of(database: Path, cycle_code: str) -> Any:
    from states.cycles import plan_of

    engine = get_engine(f"sqlite:///{database}")
    with session_scope(engine) as session:
        return plan_of(get_cycle(session, cycle_code))


def bench_tick(base: Path, work: Path, cycle_code: str, table: Table, flow_too: bool) -> None:
    """Ours (state work, no Prefect) and raw SQL on two copies of the same database; then the
    review-cycle flow on a third."""
    now = parse_instant(TICKED)
    overdue = make_overdue(base, now)
    ours_db = copy_db(base, work / "tick-ours.db")
    raw_db = copy_db(base, work / "tick-raw.db")
    flow_db = copy_db(base, work / "tick-flow.db") if flow_too else None
    with sqlite3.connect(ours_db) as db:
        before = db.execute("SELECT max(id) FROM outboxmessage").fetchone()[0]
        units = db.execute("SELECT count(*) FROM unit").fetchone()[0]
    # In a process of its own, as a flow run's tick is: its peak RSS is the tick's, not the
    # launch's before it in this one.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result = pool.apply(tick_alone, (str(ours_db), cycle_code, now))
    t = Timed(result["wall"], result["cpu"])
    with sqlite3.connect(ours_db) as db:
        digests = db.execute("SELECT * FROM outboxmessage WHERE id > ?", (before,)).fetchall()
    with timed() as raw:
        steps = raw_tick(raw_db, cycle_code, now, digests)
    escalated = result["escalated"]
    assert steps == escalated["steps"], (steps, escalated["steps"])
    size = f"{units} units, {overdue} overdue"
    table.add(
        "tick, 5% overdue: state work",
        size,
        t,
        f"{ratio(t, raw)}; {escalated['steps']} steps, {escalated['digests']} digests; "
        f"its process's peak RSS {result['rss']:.0f} MiB ({result['rss_before']:.0f} before)",
    )
    table.add("  raw set-based SQL", size, raw, f"the same {steps} steps and digest rows")
    if flow_db is not None:
        flow_url = f"sqlite:///{flow_db}"
        with timed() as f:
            state, _run, _tasks = run_review_cycle(cycle_code, now, flow_url)
        table.add(
            "  the review-cycle flow (Prefect)",
            size,
            f,
            f"{f.wall / t.wall:.1f}x the state work: delivery of the digests, artifacts, "
            f"insights; {state}",
        )


# --- Prefect ---------------------------------------------------------------------------------


def start_prefect(work: Path) -> Timed:
    """Prefect's embedded API, in a home of its own; the time its first flow run takes."""
    from kiemdiem.prefect_env import prepare_prefect

    os.environ.setdefault("PREFECT_HOME", str(work / "prefect"))
    prepare_prefect()
    from prefect import flow

    @flow(name="bench-warm-up")
    def warm_up() -> int:
        return 1

    with timed() as t:
        warm_up()
    return t


def run_review_cycle(cycle_code: str, now: datetime, url: str) -> tuple[str, Any, int]:
    """The real flow once, as the CLI, serve and the demo run it (`tick_here`); its final
    state's message, its flow run's id and how many task runs it made."""
    from flows.review_cycle import tick_here

    state = tick_here(cycle_code, now=now.isoformat(), database_url=url, return_state=True)
    summary = state.result()
    # advance, escalate, deliver, status, insights, summary; advance and escalate again per
    # earlier cycle still open.
    tasks = 6 + 2 * len(summary["earlier"])
    return str(state.message), state.state_details.flow_run_id, tasks


def wait_recorded(flow_run_id: Any, tasks: int, quiet: float = 15.0) -> int:
    """`recorded_by` without the instant."""
    return recorded_by(flow_run_id, tasks, quiet)[0]


def recorded_by(flow_run_id: Any, tasks: int, quiet: float = 15.0) -> tuple[int, float]:
    """Until Prefect's API has recorded `tasks` completed task runs of the flow run, or the
    count has not grown for `quiet` seconds; the count, and when (`time.perf_counter`) it
    last grew. Task runs reach the server as events after the flow has returned, and the next
    flow waits behind them (measured: a naive flow's backlog made the next run 30 s slower);
    an embedded API under a naive flow's load also drops events (its queue holds 10,000), so
    the count may stop short, and then the `quiet` wait is not the flow's."""
    from prefect.client.orchestration import get_client

    body = {
        "flow_runs": {"id": {"any_": [str(flow_run_id)]}},
        "task_runs": {"state": {"type": {"any_": ["COMPLETED"]}}},
    }
    count, since = -1, time.perf_counter()
    with get_client(sync_client=True) as client:
        while True:
            now = int(client._client.post("/task_runs/count", json=body).json())
            if now >= tasks:
                return now, time.perf_counter()
            if now > count:
                count, since = now, time.perf_counter()
            elif time.perf_counter() - since > quiet:
                return count, since
            time.sleep(0.05)


def prefect_cpu() -> float:
    """CPU seconds Prefect's embedded server process has used so far (it records the runs
    after the flow has returned, so its work is part of each design's); 0 where /proc cannot
    tell or the API is elsewhere."""
    from prefect.server.api.server import SubprocessASGIServer

    process = SubprocessASGIServer().server_process
    try:
        assert process is not None
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (AssertionError, OSError, IndexError, ValueError):
        return 0.0


def naive_tick(cycle_code: str, url: str, now: datetime) -> tuple[int, int, float, float]:
    """One Prefect task per unit, each moving its unit in its own session: the design ours
    is measured against. Units moved, task runs recorded, seconds until the flow returned,
    and seconds waited after the API had recorded the last of them."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from sqlmodel import select

    from models.cycle import AuditEntry, Cycle

    engine = get_engine(url)
    start = time.perf_counter()

    @task(cache_policy=NO_CACHE)
    def move_one(unit_id: int) -> bool:
        with session_scope(engine) as session:
            unit = session.get(Unit, unit_id)
            assert unit is not None
            if unit.state != "plan_issued":
                return False
            unit.state, unit.updated_at = "self_review", now
            session.add(unit)
            session.add(
                AuditEntry(
                    unit_id=unit_id,
                    at=now,
                    actor="tick",
                    trigger="start",
                    from_state="plan_issued",
                    to_state="self_review",
                )
            )
        return True

    @flow(name="naive-tick")
    def naive(cycle_code: str) -> int:
        with session_scope(engine) as session:
            cycle = session.exec(select(Cycle).where(Cycle.code == cycle_code)).one()
            ids = list(session.exec(select(Unit.id).where(Unit.cycle_id == cycle.id)).all())
        return sum(move_one(i) for i in ids if i is not None)

    state = naive(cycle_code, return_state=True)
    moved = int(state.result())
    returned = time.perf_counter() - start
    recorded, at = recorded_by(state.state_details.flow_run_id, moved)
    return moved, recorded, returned, time.perf_counter() - at


def bench_naive(work: Path, args: argparse.Namespace, table: Table) -> None:
    """The same launched cycle of about `--naive-units` units, its first tick (every unit
    starts) naive and ours."""
    members = max(5, round(args.naive_units / 1.23))  # units ≈ members + 2 per organization
    made = generate(
        work / "naive",
        seed=args.seed,
        members=members,
        cells=max(1, members // 10),
        grassroots=max(1, members // 100),
    )
    base = work / "naive.db"
    engine = get_engine(f"sqlite:///{base}")
    init_db(engine)
    with session_scope(engine) as session:
        import_organizations(
            session=session, organizations_csv=made.organizations_csv, members_csv=made.members_csv
        )
    plan = load_plan(made.plan_yaml)
    with session_scope(engine) as session:
        summary = launch(
            session=session, plan=plan, now=parse_instant(LAUNCHED), settings=load_settings()
        )
    with engine.begin() as connection:
        connection.execute(text("UPDATE outboxmessage SET status = 'SENT', sent_at = created_at"))
    engine.dispose()
    naive_db = copy_db(base, work / "naive-naive.db")
    ours_db = copy_db(base, work / "naive-ours.db")
    now = parse_instant(STARTED)
    from kiemdiem.prefect_env import many_runs

    # Ours first, then naive; each timed until the API has recorded all its task runs (or,
    # when it dropped some, until the last it recorded), in the same settings: those the CLI
    # runs its flows in on the embedded API (no heartbeats; see `many_runs`). Its server's
    # CPU is counted apart: it records both designs' runs.
    with many_runs():
        server = prefect_cpu()
        with timed() as o:
            message, run, tasks = run_review_cycle(plan.code, now, f"sqlite:///{ours_db}")
            wait_recorded(run, tasks)
        ours_server, server = prefect_cpu() - server, prefect_cpu()
        with timed() as n:
            moved, recorded, returned, quiet = naive_tick(plan.code, f"sqlite:///{naive_db}", now)
        naive_server = prefect_cpu() - server
    n.wall -= quiet  # not the seconds waited for runs the API had dropped
    with sqlite3.connect(ours_db) as a, sqlite3.connect(naive_db) as b:
        query = "SELECT state, count(*) FROM unit GROUP BY state ORDER BY state"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
    size = f"{sum(summary.units.values())} units start"
    table.add(
        "naive: a Prefect task per unit",
        size,
        n,
        f"{moved} units moved; the flow returned after {returned:.1f} s, then the API "
        f"recorded {recorded} of its {moved} task runs"
        + ("" if recorded >= moved else " (the rest dropped: its event queue was full)")
        + f"; Prefect's server {naive_server:.2f} s CPU",
    )
    table.add(
        "  ours: the review-cycle flow",
        size,
        o,
        f"**{n.wall / o.wall:.0f}x faster** than naive (wall), {n.cpu / o.cpu:.0f}x CPU, "
        f"{(n.cpu + naive_server) / (o.cpu + ours_server):.0f}x CPU with Prefect's server's "
        f"({ours_server:.2f} s); {tasks} task runs; {message}",
    )


# --- launch and delivery (bench/launch.py's functions) ---------------------------------


def bench_launch_delivery(
    imported: Path, made: District, work: Path, server: Any, table: Table, args: Any
) -> None:
    """The launch beside raw executemany of its rows, then delivery of `--deliver` of its
    mails beside raw aiosmtplib on as many connections, on a copy of the imported database."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "launch_bench", Path(__file__).with_name("launch.py")
    )
    assert spec is not None and spec.loader is not None
    bench = sys.modules["launch_bench"] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    database = copy_db(imported, work / "launch.db")
    now = parse_instant(LAUNCHED)
    lr = bench.bench_launch(database, made.plan_yaml, work, now)
    ours, raw = Timed(lr.wall, lr.cpu), Timed(lr.raw_wall, lr.raw_cpu)
    note = f"{ratio(ours, raw)}; peak RSS {lr.rss:.0f} MiB ({lr.rss_before:.0f} before)"
    table.add("launch: one transaction", f"{lr.rows} rows", ours, note)
    table.add("  raw sqlite3 executemany", f"{lr.rows} rows", raw, "units, deadlines, outbox")
    if args.deliver:
        c = args.connections
        d = bench.bench_delivery(database, server, now, mails=args.deliver, connections=c)
        ours, raw = Timed(d.wall, d.cpu), Timed(d.raw_whole, d.raw_cpu)
        note = f"{d.raw_whole / d.wall:.2f}x raw's speed; {d.sent / d.wall:.0f} msg/s"
        table.add(f"deliver, {c} connections", f"{d.sent} mails", ours, note)
        table.add(f"  raw aiosmtplib, {c} connections", f"{d.raw} mails", raw, "MIME + send")


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--cells", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--naive-units", type=int, default=10_000, help="0: skip naive vs ours")
    parser.add_argument("--no-flow", action="store_true", help="skip Prefect entirely")
    parser.add_argument("--skip", nargs="*", default=[], choices=["import", "launch", "tick"])
    parser.add_argument("--deliver", type=int, default=20_000, help="launch mails; 0: none")
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections")
    parser.add_argument(
        "--many-cycles", type=int, default=0, help="N: also bench/many_cycles.py, N cycles"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiemdiem-bench-province-"))
    os.environ.update(KIEMDIEM_KEYS_DIR=str(work / "keys"), KIEMDIEM_SMTP_FROM="kd@example.vn")
    table = Table()
    from kiemdiem.demo.smtp_server import SMTPServerProcess

    with SMTPServerProcess(work / "received.txt") as server:
        # Mail the flows deliver (the digests) goes to a local server in its own process.
        os.environ.update(KIEMDIEM_SMTP_HOST="127.0.0.1", KIEMDIEM_SMTP_PORT=str(server.port))
        with timed() as g:
            made = generate(
                work / "province",
                seed=args.seed,
                members=args.members,
                cells=args.cells,
                grassroots=max(1, args.cells // 10),
            )
        table.add("generate the province's files", f"{made.members} members", g)
        if not args.no_flow:
            table.add("Prefect's embedded API start", "", start_prefect(work), "excluded below")
        if {"import", "launch", "tick"} - set(args.skip):
            imported = bench_import(made, work, table)
        if "launch" not in args.skip:
            bench_launch_delivery(imported, made, work, server, table, args)
        if "tick" not in args.skip:
            base = copy_db(imported, work / "tick-base.db")
            with timed() as s:
                launched = launch_and_start(base, made.plan_yaml)
            units = sum(launched["units"].values())
            table.add("launch + first tick (setup)", f"{units} units", s)
            bench_tick(base, work, made.cycle_code, table, flow_too=not args.no_flow)
        if args.naive_units and not args.no_flow:
            bench_naive(work, args, table)
    if args.many_cycles:  # its other options at their defaults; needs a PostgreSQL server
        import many_cycles

        many = argparse.ArgumentParser()
        many_cycles.add_arguments(many)
        many_cycles.run(many.parse_args(["--cycles", str(args.many_cycles)]), table)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(
        f"province benchmark: {args.members} members, {args.cells} cells, seed {args.seed}; "
        f"{os.cpu_count()} CPUs, load {' '.join(load)}; peak RSS {_rss_mib():.0f} MiB; {work}"
    )
    table.print()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
