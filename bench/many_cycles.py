"""Many cycles ticked the same morning by one process worker, then by two, on PostgreSQL, through
real Prefect deployments on a real Prefect server; the two runs' outcomes compared. Prints one
table.

    python bench/many_cycles.py                         # 40 small district cycles
    python bench/many_cycles.py --cycles 200 --modes fan-out
    python bench/many_cycles.py --cycles 63 --grassroots 4 --cells 3
    python bench/many_cycles.py --cycles 20 --limit 2   # smaller; 2 runs at once a worker
    python bench/many_cycles.py --cycles 63 --grassroots 40 --cells 25 --modes none
                                                        # the tree at size, per tick only

(`--level province` makes each launching committee a root, which no plan can launch: a
plan needs a committee above the one launching it, `higher_committee`, and nothing sits
above a province in the tree's four levels.)

- setup (no Prefect): one PostgreSQL database (made and dropped here) holding a tree with
  `--cycles` launching committees (districts under one province, or provinces as roots), each
  launching its own cycle on 10 November through the states layer; the plan-issued mail is
  marked sent. Its copies (`CREATE DATABASE … TEMPLATE`) are what each morning starts from.
- that morning, 19 November 08:00: a Prefect server on its own PostgreSQL database, the
  `kiemdiem` process pool, `prefect deploy --all`, each cycle's own deployment
  `review-cycle/<code>` (made by `flows._schedules.schedule_cycle`, as a launch makes it),
  and one flow run per cycle started while the pool is paused; then the pool resumes and the
  morning is timed until every run is final: first with 1 worker, then with 2 on a fresh copy.
  Every unit starts its self-review; each cycle's pilot units are reminded.
- the same morning fanned out (`--modes fan-out`): one flow run per worker
  (bench/_tick_cycles.py) ticking its share of the cycles as `review-cycle` subflow
  runs in one process, so Prefect's start of a flow-run process is paid once per worker, not
  once per cycle; with 1 worker, then 2, each on a fresh copy.
- the comparison: every unit's state, every audit row's substance, every escalation step,
  every outbox message (idempotency key, recipient, status) equal between all the mornings
  (a digest's key names its tick by id: compared by the tick's cycle and instant instead),
  and the mail the SMTP server received: the same set, each message once.
- per tick against the number of other cycles: the tick's state work (as province.py times it,
  without Prefect) on one cycle in a database holding only it and its committee's tree, and
  in one holding all of them;
  and EXPLAIN of every statement that tick sent, listing any sequential scan of a table that
  grows with the cycles.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _processes import PREFECT, REPO, prefect_env, start, stop  # noqa: E402
from province import Table, Timed, tick_state_work, timed  # noqa: E402

from kiemdiem.demo.smtp_server import LocalSMTPServer, free_port  # noqa: E402
from models import get_engine, init_db, load_settings, parse_instant, session_scope  # noqa: E402
from models.org_import import import_organizations  # noqa: E402
from models.outbox import MailStatus, OutboxMessage  # noqa: E402
from notifications import deferred  # noqa: E402
from notifications.smtp import CLAIM_BATCH  # noqa: E402
from states import launch, load_plan  # noqa: E402
from states.cycles import get_cycle  # noqa: E402
from states.insights import cycle_insights  # noqa: E402
from states.recipients import readdress  # noqa: E402
from states.signin import personalize  # noqa: E402

PACKAGES = ("flows", "models", "notifications", "states", "vocabulary")
LAUNCHED = "2026-11-10T08:00:00+07:00"
MORNING = "2026-11-19T08:00:00+07:00"
# Each cycle's own deployment keeps a schedule, as a launch gives it, but one that cannot fire
# while this runs (next 1 January): the morning's runs are the ones started here.
NEVER_TODAY = "0 8 1 1 *"
# Tables whose rows grow with the number of cycles: a tick must not scan them whole.
PER_CYCLE_TABLES = {
    "unit",
    "stagedeadline",
    "auditentry",
    "escalation",
    "tick",
    "outboxmessage",
    "selfreview",
    "comment",
    "ballot",
    "voterroll",
    "tally",
    "suggestion",
    "opinion",
    "selfreviewdraft",
    "shortcoming",
}
ORG_HEADER = ["code", "name", "level", "parent_code", "email", "secretary_email"]
MEMBER_HEADER = ["code", "full_name", "email", "organization_code", "position", "leads"]


# --- the tree and the plans -------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    cycles: int = 200
    level: str = "district"  # the launching committees' level: district (under P) or province
    grassroots: int = 2  # per launching committee
    cells: int = 1  # per grassroots organization
    members: int = 4  # per cell

    def launcher(self, i: int) -> str:
        return f"{'D' if self.level == 'district' else 'P'}{i:03d}"


def write_tree(directory: Path, shape: Shape) -> tuple[Path, Path]:
    """Organizations and members CSVs: `shape.cycles` launching committees, each over its
    grassroots organizations and cells, every one with an address and a secretary."""
    orgs: list[dict[str, str]] = []
    members: list[dict[str, str]] = []

    def org(code: str, level: str, parent: str) -> None:
        mail = code.lower()
        orgs.append(
            {
                "code": code,
                "name": f"Tổ chức {code}",
                "level": level,
                "parent_code": parent,
                "email": f"{mail}@example.vn",
                "secretary_email": f"bt.{mail}@example.vn",
            }
        )

    def member(code: str, cell: str, leads: str) -> None:
        members.append(
            {
                "code": code,
                "full_name": f"Nguyễn Văn {code}",
                "email": f"{code.lower()}@example.vn",
                "organization_code": cell,
                "position": "Bí thư" if leads else "Đảng viên",
                "leads": leads,
            }
        )

    if shape.level == "district":
        org("P", "province", "")
        member("PP", "P", "P")
    for i in range(1, shape.cycles + 1):
        top = shape.launcher(i)
        org(top, shape.level, "P" if shape.level == "district" else "")
        for g in range(1, shape.grassroots + 1):
            grassroots = f"{top}G{g}"
            org(grassroots, "grassroots", top)
            for c in range(1, shape.cells + 1):
                cell = f"{grassroots}C{c}"
                org(cell, "cell", grassroots)
                for m in range(1, shape.members + 1):
                    # The first member leads the cell; in the first cell, the second leads
                    # the grassroots, and in the very first, the third the launching committee.
                    leads = {1: cell, 2: grassroots if c == 1 else ""}.get(m, "")
                    if m == 3 and c == 1 and g == 1:
                        leads = top
                    member(f"{cell}M{m}", cell, leads)
    paths = directory / "organizations.csv", directory / "members.csv"
    for path, header, rows in zip(paths, (ORG_HEADER, MEMBER_HEADER), (orgs, members), strict=True):
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
    return paths


def cycle_code(i: int) -> str:
    return f"MC-{i:03d}"


def write_plan(directory: Path, shape: Shape, i: int) -> Path:
    """Cycle i's plan: its committee's first grassroots organization pilots (due 20 November,
    so reminded on the morning of the 19th), the others due 1 December."""
    top = shape.launcher(i)
    plan = {
        "code": cycle_code(i),
        "title": f"Kiểm điểm năm 2026 của {top}",
        "document": f"Kế hoạch số {i}-KH",
        "launched_by": top,
        "rule_set": "qd366-2025",
        "timezone": "Asia/Ho_Chi_Minh",
        "due": {
            "self_review": "2026-12-01",
            "peer_review": "2026-12-04",
            "vote": "2026-12-06",
            "approval": "2026-12-09",
        },
        "pilots": {
            "organizations": [f"{top}G1"],
            "due": {
                "self_review": "2026-11-20",
                "peer_review": "2026-11-23",
                "vote": "2026-11-25",
                "approval": "2026-11-28",
            },
        },
        "escalation": [
            {"at": "-2d", "notify": ["unit"]},
            {"at": "1d", "notify": ["unit", "secretary"]},
            {"at": "3d", "notify": ["higher"]},
        ],
    }
    path = directory / f"plan-{i:03d}.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return path


def populate(url: str, work: Path, shape: Shape, launched: range) -> int:
    """Import the whole tree into the database at `url`, launch the cycles in `launched` and
    mark their plan-issued mail sent (not the morning's). Returns the units launched."""
    engine = get_engine(url)
    init_db(engine)
    orgs_csv, members_csv = write_tree(work, shape)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    units = 0
    for i in launched:
        with session_scope(engine) as session:
            summary = launch(
                session=session,
                plan=load_plan(write_plan(work, shape, i)),
                now=parse_instant(LAUNCHED),
                settings=load_settings(),
            )
        units += sum(summary.units.values())
    with engine.begin() as connection:
        connection.execute(text("UPDATE outboxmessage SET status = 'SENT', sent_at = created_at"))
    # VACUUM too, as autovacuum would have by the morning: the UPDATE leaves every row's old
    # version and its index entries behind, and the first index scan of pending mail on each
    # fresh copy visited them all (1.4 s of a 63-cycle tick's 3.9 s; 2 ms alone).
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()  # a template cannot be copied while anyone is connected to it
    return units


# --- PostgreSQL databases ---------------------------------------------------------------------


@dataclass
class Databases:
    """Databases on one PostgreSQL server, made with a unique prefix, all dropped at the end."""

    admin_url: str
    prefix: str = field(default_factory=lambda: f"kd_manycycles_{uuid.uuid4().hex[:8]}")
    made: list[str] = field(default_factory=list)

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(sql)

    def url(self, name: str, driver: str = "postgresql") -> str:
        server = self.admin_url.rsplit("/", 1)[0].split("://", 1)[1]
        return f"{driver}://{server}/{name}"

    def create(self, what: str, template: str | None = None) -> str:
        name = f"{self.prefix}_{what}"
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.made.append(name)
        return name

    def drop_all(self) -> None:
        for name in reversed(self.made):
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.made.clear()


# --- processes: the Prefect server, the workers ----------------------------------------------


def group_cpu(pgid: int) -> float:
    """CPU seconds of a process group: its live processes and the children they reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat: the process group
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / tick


def prefect(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        [PREFECT, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"prefect {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


@contextmanager
def prefect_server(database_url: str, home: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`prefect server start` on its own PostgreSQL database, until it answers."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = prefect_env(api, home, PREFECT_API_DATABASE_CONNECTION_URL=database_url)
    server = start(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        home / "server.log",
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((home / "server.log").read_text())
            time.sleep(0.5)
        yield api, server
    finally:
        stop(server)


def deploy(api: str, codes: list[str], env: dict[str, str]) -> dict[str, str]:
    """The pool, `prefect deploy --all`, and every cycle's own deployment as a launch makes
    it; returns each cycle's deployment id."""
    prefect(["work-pool", "create", "kiemdiem", "--type", "process"], env)
    prefect(["--no-prompt", "deploy", "--all"], env)
    script = (
        "import sys\n"
        "from flows._schedules import schedule_cycle\n"
        "for code in sys.argv[1:]:\n"
        f"    schedule_cycle(cycle_code=code, cron={NEVER_TODAY!r}, timezone='Asia/Ho_Chi_Minh')\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, *codes], env=env, cwd=REPO, check=True, timeout=600
    )
    ids = {}
    with httpx.Client(base_url=api, timeout=30) as client:
        for code in codes:
            ids[code] = client.get(f"/deployments/name/review-cycle/{code}").json()["id"]
    return ids


FAN_OUT = "tick-cycles/morning"


def deploy_fan_out(api: str, env: dict[str, str]) -> str:
    """A deployment of bench/_tick_cycles.py on the same pool (a copy of review-cycle's
    pull steps); returns its id."""
    script = (
        "from prefect import get_client\n"
        "with get_client(sync_client=True) as client:\n"
        "    base = client.read_deployment_by_name('review-cycle/review-cycle')\n"
        "    client.create_deployment(\n"
        "        flow_id=client.create_flow_from_name('tick-cycles'), name='morning',\n"
        "        entrypoint='bench/_tick_cycles.py:tick_cycles', path=base.path,\n"
        "        pull_steps=base.pull_steps, work_pool_name=base.work_pool_name,\n"
        "        enforce_parameter_schema=False)\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, check=True, timeout=120)
    with httpx.Client(base_url=api, timeout=30) as client:
        return str(client.get(f"/deployments/name/{FAN_OUT}").json()["id"])


# --- that morning -----------------------------------------------------------------------------


@dataclass
class Morning:
    workers: int
    wall: float
    cpu_workers: float
    cpu_server: float
    runs: list[dict[str, Any]]
    in_flow: list[float]  # each run's Running → final, seconds
    to_running: list[float]  # each run's Pending (a worker took it) → Running: its start cost
    mail: list[tuple[str, tuple[str, ...]]]  # what the SMTP server received, by outbox key
    outcome: dict[str, Any]


def _flow_runs(client: httpx.Client, ids: list[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for at in range(0, len(ids), 200):
        body = {"flow_runs": {"id": {"any_": ids[at : at + 200]}}, "limit": 200}
        found += client.post("/flow_runs/filter", json=body).json()
    return found


def morning(
    *,
    api: str,
    server_pid: int | None,
    deployments: dict[str, str],
    database_url: str,
    workers: int,
    limit: int,
    work: Path,
    env: dict[str, str],
    timeout: float,
    fan_out: str | None = None,
) -> Morning:
    """Start `workers` process workers on the paused pool and the morning's flow runs: one
    per cycle's deployment, or with `fan_out` (that deployment's id) one per worker ticking
    its share of the cycles; resume the pool and time until every run is final."""
    now = {"now": MORNING, "database_url": database_url}
    codes = list(deployments)
    starts = (
        [(d, now) for d in deployments.values()]
        if fan_out is None
        else [
            (fan_out, {**now, "cycle_codes": codes[k::workers], "label": f"{k + 1}-of-{workers}"})
            for k in range(workers)
        ]
    )
    with LocalSMTPServer() as smtp, httpx.Client(base_url=api, timeout=60) as client:
        client.patch("/work_pools/kiemdiem", json={"is_paused": True}).raise_for_status()
        run_env = {
            **env,
            "KIEMDIEM_SMTP_PORT": str(smtp.port),
            "KIEMDIEM_DATABASE_URL": database_url,
        }
        procs = [
            start(
                [PREFECT, "worker", "start", "--pool", "kiemdiem", "--name", f"w{workers}-{k}"]
                + (["--limit", str(limit)] if limit else []),
                run_env,
                work / f"worker-{workers}-{k}.log",
            )
            for k in range(1, workers + 1)
        ]
        try:
            ids = []
            for deployment_id, parameters in starts:
                made = client.post(
                    f"/deployments/{deployment_id}/create_flow_run",
                    json={"parameters": parameters},
                )
                made.raise_for_status()
                ids.append(made.json()["id"])
            # Every worker up (it has heartbeated to the pool) before the morning begins.
            names = {f"w{workers}-{k}" for k in range(1, workers + 1)}
            deadline = time.monotonic() + 120
            while True:
                seen = client.post("/work_pools/kiemdiem/workers/filter", json={}).json()
                if names <= {w["name"] for w in seen} or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            cpu_w = sum(group_cpu(p.pid) for p in procs)
            cpu_s = group_cpu(server_pid) if server_pid else 0.0
            with timed() as t:
                client.patch("/work_pools/kiemdiem", json={"is_paused": False}).raise_for_status()
                deadline = time.monotonic() + timeout
                while True:
                    runs = _flow_runs(client, ids)
                    if all(r["state_type"] in FINAL for r in runs) and len(runs) == len(ids):
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the morning did not end in {timeout:.0f} s")
                    time.sleep(0.5)
            reaped(procs)  # a run's process exits a little after its final state
            cpu_w = sum(group_cpu(p.pid) for p in procs) - cpu_w
            cpu_s = (group_cpu(server_pid) if server_pid else 0.0) - cpu_s
            started = runs
            if fan_out is not None:  # the ticks are the fan-out runs' subflow runs
                bad = [r["name"] for r in runs if r["state_type"] != "COMPLETED"]
                runs = _subflow_runs(client, [r["id"] for r in runs])
                runs += [{"name": n, "state_type": "FAILED", "id": ""} for n in bad]
            to_running = []
            for run in started:
                states = client.get("/flow_run_states/", params={"flow_run_id": run["id"]}).json()
                at = {s["type"]: s["timestamp"] for s in states}
                if "PENDING" in at and "RUNNING" in at:
                    to_running.append(_seconds(at["PENDING"], at["RUNNING"]))
        finally:
            for p in procs:
                stop(p)
            client.patch("/work_pools/kiemdiem", json={"is_paused": True})
        mail = [(m.message_id, m.recipients) for m in smtp.messages]
    in_flow = [_seconds(r["start_time"], r["end_time"]) for r in runs if r.get("start_time")]
    left = outcome(database_url)
    # Each message received, by its outbox row's key (a message id is made from the key).
    mail = [(left["message_keys"].get(m, m), rcpts) for m, rcpts in mail]
    return Morning(
        workers=workers,
        wall=t.wall,
        cpu_workers=cpu_w,
        cpu_server=cpu_s,
        runs=runs,
        in_flow=in_flow,
        to_running=to_running,
        mail=mail,
        outcome=left,
    )


FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _subflow_runs(client: httpx.Client, parents: list[str]) -> list[dict[str, Any]]:
    """The flow runs started inside the given flow runs (the fan-out's ticks)."""
    found: list[dict[str, Any]] = []
    while True:
        body = {
            "flow_runs": {"parent_flow_run_id": {"any_": parents}},
            "limit": 200,
            "offset": len(found),
        }
        page = client.post("/flow_runs/filter", json=body).json()
        found += page
        if len(page) < 200:
            return found


def reaped(procs: list[subprocess.Popen[bytes]], patience: float = 30.0) -> None:
    """Wait until none of the workers has a child process left (its CPU then counts in the
    worker's), for at most `patience` seconds."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{p.pid}/task/{p.pid}/children").read_text().split() for p in procs):
            return
        time.sleep(0.2)


def _seconds(start: str, end: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def outcome(database_url: str) -> dict[str, Any]:
    """What a morning left in the cycle database, without ids or wall-clock times: every
    unit's state, every audit row, escalation step and tick, every outbox message."""
    queries = {
        "units": "SELECT c.code, u.code, u.state FROM unit u JOIN cycle c ON c.id = u.cycle_id",
        "audit": (
            "SELECT c.code, u.code, a.at, a.actor, a.trigger, a.from_state, a.to_state,"
            " a.reason, a.via, a.operator FROM auditentry a JOIN unit u ON u.id = a.unit_id"
            " JOIN cycle c ON c.id = u.cycle_id"
        ),
        "escalations": (
            "SELECT c.code, u.code, e.stage, e.step FROM escalation e"
            " JOIN unit u ON u.id = e.unit_id JOIN cycle c ON c.id = u.cycle_id"
        ),
        "ticks": "SELECT c.code, t.now FROM tick t JOIN cycle c ON c.id = t.cycle_id",
    }
    engine = get_engine(database_url)
    with engine.connect() as connection:
        found: dict[str, Any] = {
            name: sorted(tuple(str(x) for x in row) for row in connection.execute(text(sql)))
            for name, sql in queries.items()
        }
        # A digest's key names the tick that queued it by id, and ids follow the order the
        # ticks ran in: name the tick by its cycle and clock instead.
        ticks = {
            str(i): f"{code}@{now.isoformat()}"
            for i, code, now in connection.execute(
                text("SELECT t.id, c.code, t.now FROM tick t JOIN cycle c ON c.id = t.cycle_id")
            )
        }
        rows = connection.execute(
            text("SELECT key, recipient, status, message_id FROM outboxmessage")
        ).all()
    engine.dispose()
    keys = {
        message_id: TICK_ID.sub(lambda m: "tick-" + ticks.get(m[1], m[1]), key)
        for key, _, _, message_id in rows
    }
    found["outbox"] = sorted((keys[m], r, str(status)) for _, r, status, m in rows)
    found["message_keys"] = keys
    return found


TICK_ID = re.compile(r"tick-(\d+)")


def compare(one: Morning, two: Morning) -> list[str]:
    """What differs between two mornings (empty: the same), and what either did twice."""
    problems = []
    for name in set(one.outcome) - {"message_keys"}:
        a, b = one.outcome[name], two.outcome[name]
        if a != b:
            problems.append(f"{name}: {len(set(a) ^ set(b))} rows differ")
    for m in (one, two):
        ids = [key for key, _ in m.mail]
        if len(ids) != len(set(ids)):
            problems.append(f"{m.workers} worker(s): {len(ids) - len(set(ids))} mails twice")
        sent = {row[0] for row in m.outcome["outbox"] if row[2].lower() == "sent"}
        if not set(ids) <= sent:
            problems.append(f"{m.workers} worker(s): mail received that the outbox did not send")
        bad = [r["name"] for r in m.runs if r["state_type"] != "COMPLETED"]
        if bad:
            problems.append(f"{m.workers} worker(s): runs not Completed: {bad[:5]}")
    if sorted(one.mail) != sorted(two.mail):
        problems.append("the SMTP server received different mail")
    return problems


# --- per tick against the other cycles; EXPLAIN -----------------------------------------------


def tick_once(url: str, code: str) -> tuple[Timed, list[tuple[str, Any]]]:
    """The tick's state work on `url` (timed), then what else it reads of the database
    without Prefect or SMTP: the insights, and delivery finding its mail's addresses and
    people again (`readdress`, `personalize`, batch by batch, as delivery claims them;
    nothing is sent); and every statement it sent."""
    engine = get_engine(url)
    sent: list[tuple[str, Any]] = []
    started: list[float] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))
        started.append(time.perf_counter())

    def done(*_: Any) -> None:
        STATEMENT_SECONDS.append((sent[-1][0], time.perf_counter() - started[-1]))

    STATEMENT_SECONDS.clear()
    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine, "after_cursor_execute", done)
    now = parse_instant(MORNING)
    with timed() as t:
        tick_state_work(engine, code, now)
        tick_reads(engine, code, now)
    event.remove(engine, "before_cursor_execute", record)
    event.remove(engine, "after_cursor_execute", done)
    engine.dispose()
    return t, sent


# The last tick_once's statements, each with its seconds from sent to answered.
STATEMENT_SECONDS: list[tuple[str, float]] = []


def slowest_apart(alone: list[tuple[str, float]], beside: list[tuple[str, float]]) -> None:
    """Print (stderr) the statements whose seconds differ most between the two ticks."""

    def by_statement(timed: list[tuple[str, float]]) -> dict[str, float]:
        sums: dict[str, float] = {}
        for statement, seconds in timed:
            key = " ".join(statement.split())[:160]
            sums[key] = sums.get(key, 0.0) + seconds
        return sums

    a, b = by_statement(alone), by_statement(beside)
    print(
        f"statements: {sum(a.values()):.3f} s alone, {sum(b.values()):.3f} s beside",
        file=sys.stderr,
    )
    for key in sorted(b, key=lambda k: a.get(k, 0.0) - b[k])[:10]:
        print(f"  {a.get(key, 0.0):.3f} s -> {b[key]:.3f} s: {key}", file=sys.stderr)


def tick_reads(engine: Engine, code: str, now: Any) -> None:
    with session_scope(engine) as session:
        cycle_insights(session=session, cycle=get_cycle(session, code), now=now)
    with session_scope(engine) as session:
        pending = OutboxMessage.status == MailStatus.PENDING
        rows = list(session.exec(select(OutboxMessage).where(pending)))
        for row in rows:
            session.expunge(row)
    for at in range(0, len(rows), CLAIM_BATCH):
        batch = rows[at : at + CLAIM_BATCH]
        with session_scope(engine) as session:
            readdress(session, batch)
            session.rollback()  # found again, not changed: each repeat starts alike
        deferred.fill([r for r in batch if r.payload is not None])
        with session_scope(engine) as session:
            personalize(session, batch, load_settings())


def scans(url: str, sent: list[tuple[str, Any]]) -> dict[str, int]:
    """EXPLAIN every statement a tick sent, with sequential scans priced out (so a scan left
    in a plan is one no index can replace, whatever the table's size today); the tables
    scanned so, with how many statements do."""
    found: dict[str, int] = {}
    engine: Engine = get_engine(url)
    with engine.connect() as connection:
        connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in sent:
            head = statement.lstrip().split(None, 1)[0].upper()
            if head not in {"SELECT", "UPDATE", "INSERT", "DELETE", "WITH"}:
                continue
            if isinstance(parameters, list):
                parameters = parameters[0] if parameters else {}
            plan = connection.exec_driver_sql("EXPLAIN " + statement, parameters or {}).all()
            for table in {
                line.split("Seq Scan on ", 1)[1].split()[0]
                for (line,) in plan
                if "Seq Scan on " in line
            }:
                found[table] = found.get(table, 0) + 1
                if os.environ.get("KIEMDIEM_BENCH_SCANS"):  # which statements, to look
                    print(f"scan of {table}: {' '.join(statement.split())[:400]}", file=sys.stderr)
        connection.rollback()
    engine.dispose()
    return found


def scans_note(found: dict[str, int]) -> str:
    grows = {t: n for t, n in found.items() if t in PER_CYCLE_TABLES}
    tree = {t: n for t, n in found.items() if t not in PER_CYCLE_TABLES}
    words = [
        "EXPLAIN: "
        + (
            "every per-cycle table read by an index"
            if not grows
            else "scans of " + ", ".join(f"{t} ({n})" for t, n in sorted(grows.items()))
        )
    ]
    if tree:
        words.append("whole reads of " + ", ".join(f"{t} ({n})" for t, n in sorted(tree.items())))
    return "; ".join(words)


def per_tick(dbs: Databases, alone: str, base: str, repeats: int) -> tuple[Timed, Timed, dict]:
    """Cycle 1's tick on copies of a database holding it alone and one holding every cycle,
    `repeats` times each (the median); the EXPLAIN of the last one on all cycles."""
    results: dict[str, list[Timed]] = {"alone": [], "all": []}
    sent: list[tuple[str, Any]] = []
    seconds: dict[str, list[tuple[str, float]]] = {}
    for r in range(repeats):
        for what, template in (("alone", alone), ("all", base)):
            name = dbs.create(f"tick_{what}_{r}", template=template)
            t, sent = tick_once(dbs.url(name), cycle_code(1))
            results[what].append(t)
            seconds[what] = list(STATEMENT_SECONDS)
    if os.environ.get("KIEMDIEM_BENCH_SCANS"):
        slowest_apart(seconds["alone"], seconds["all"])
    found = scans(dbs.url(name), sent)

    def median(ts: list[Timed]) -> Timed:
        return Timed(statistics.median(t.wall for t in ts), statistics.median(t.cpu for t in ts))

    return median(results["alone"]), median(results["all"]), found


# --- the whole benchmark ----------------------------------------------------------------------


def run(args: argparse.Namespace, table: Table) -> list[str]:
    """The benchmark's body (province.py calls it with --many-cycles N); returns the problems
    found comparing the two mornings (empty: the same)."""
    shape = Shape(args.cycles, args.level, args.grassroots, args.cells, args.members)
    work = Path(tempfile.mkdtemp(prefix="kiemdiem-bench-many-cycles-"))
    keys = work / "keys"
    os.environ.setdefault("KIEMDIEM_KEYS_DIR", str(keys))
    keys = Path(os.environ["KIEMDIEM_KEYS_DIR"])
    dbs = Databases(args.postgres)
    problems: list[str] = []
    # As a worker's checkout should be (README runbook): compiled once, so that every run's
    # process reads the bytecode of kiemdiem's ~90 modules instead of compiling them again
    # (about 0.1 s of CPU a run) where PYTHONDONTWRITEBYTECODE keeps Python from caching it.
    for package in PACKAGES:
        compileall.compile_dir(REPO / package, quiet=1)
    try:
        base = dbs.create("base")
        with timed() as s:
            units = populate(dbs.url(base), work, shape, range(1, shape.cycles + 1))
        size = f"{shape.cycles} cycles, {units} units"
        table.add("setup: import, launch every cycle", size, s, "states layer, no Prefect")
        alone = dbs.create("alone")
        (work / "alone").mkdir()
        # Alone: cycle 1's committee and its tree only, as if no other office shared the
        # database (the same codes as in the whole tree).
        populate(dbs.url(alone), work / "alone", replace(shape, cycles=1), range(1, 2))
        t_alone, t_all, found = per_tick(dbs, alone, base, args.repeats)
        one_units = units // shape.cycles
        table.add(
            "a tick without Prefect, cycle alone in its db", f"1 cycle, {one_units} units", t_alone
        )
        table.add(
            f"  the same, beside {shape.cycles - 1} other cycles",
            f"{shape.cycles} cycles",
            t_all,
            f"{t_all.wall / t_alone.wall:.2f}x alone (wall), "
            f"{t_all.cpu / max(t_alone.cpu, 1e-6):.2f}x (CPU); median of {args.repeats}; "
            + scans_note(found),
        )
        if not [mode for mode in args.modes if mode != "none"]:
            return problems
        prefect_db = dbs.create("prefect")
        home = work / "prefect"
        home.mkdir()
        url = dbs.url(prefect_db, "postgresql+asyncpg")
        with prefect_server(url, home) as (api, server):
            env = prefect_env(
                api,
                home,
                KIEMDIEM_SMTP_HOST="127.0.0.1",
                KIEMDIEM_SMTP_FROM="kd@example.vn",
                KIEMDIEM_KEYS_DIR=str(keys),
            )
            with timed() as p:
                codes = [cycle_code(i) for i in range(1, shape.cycles + 1)]
                deployments = deploy(api, codes, env)
            table.add("Prefect pool and deployments", f"{len(deployments)} + 3", p)
            fan_out = deploy_fan_out(api, env) if "fan-out" in args.modes else None
            first: Morning | None = None
            for mode in args.modes:
                if mode == "none":
                    continue
                mornings = []
                for workers in (1, 2):
                    copy = dbs.create(f"{mode.replace('-', '_')}_{workers}", template=base)
                    m = morning(
                        api=api,
                        server_pid=server.pid,
                        deployments=deployments,
                        database_url=dbs.url(copy),
                        workers=workers,
                        limit=args.limit,
                        work=work,
                        env=env,
                        timeout=args.timeout,
                        fan_out=fan_out if mode == "fan-out" else None,
                    )
                    mornings.append(m)
                    add_morning(table, mode, args.limit, m)
                one, two = mornings
                speedup = one.wall / two.wall
                table.add(
                    f"  {mode}: 2 workers against 1",
                    "",
                    None,
                    f"**{speedup:.2f}x** (goal ≥ 1.6x: {'met' if speedup >= 1.6 else 'not met'})"
                    + (f"; 1 worker {first.wall / one.wall:.1f}x per-cycle's" if first else ""),
                )
                found = compare(first or one, one) + compare(one, two)
                problems += found
                table.add(
                    f"  {mode}: outcomes compared",
                    "",
                    None,
                    (
                        "the same states, audit, escalations, outbox and mail"
                        + (" as per-cycle's" if first else "")
                        + "; each mail once"
                    )
                    if not found
                    else "; ".join(found),
                )
                first = first or one
    finally:
        if not args.keep:
            dbs.drop_all()
    return problems


def add_morning(table: Table, mode: str, limit: int, m: Morning) -> None:
    completed = sum(r["state_type"] == "COMPLETED" for r in m.runs)
    table.add(
        f"morning, {mode}: {m.workers} worker(s)"
        + (f", limit {limit}" if mode == "per-cycle" else ""),
        f"{len(m.runs)} ticks",
        Timed(m.wall, m.cpu_workers + m.cpu_server),
        f"{m.wall / len(m.runs):.2f} s a tick; {completed} Completed; {len(m.mail)} mails; "
        f"CPU: workers and their runs {m.cpu_workers:.0f} s ({m.cpu_workers / len(m.runs):.2f} s "
        f"a tick), server {m.cpu_server:.0f} s; in the flow {statistics.mean(m.in_flow or [0]):.2f}"
        f" s a tick; {len(m.to_running)} flow run(s) started, Pending → Running "
        f"{statistics.mean(m.to_running or [0]):.2f} s",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cycles", type=int, default=40, help="launching committees, a cycle each")
    parser.add_argument("--level", choices=["district", "province"], default="district")
    parser.add_argument("--grassroots", type=int, default=2, help="per launching committee")
    parser.add_argument("--cells", type=int, default=1, help="per grassroots organization")
    parser.add_argument("--members", type=int, default=4, help="per cell")
    parser.add_argument(
        "--limit", type=int, default=1, help="flow runs at once per worker (0: none)"
    )
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=["per-cycle", "fan-out", "none"],
        default=["per-cycle", "fan-out"],
        help="per-cycle: a flow run per cycle's deployment; fan-out: one per worker (ticks as "
        "subflows); none: only the setup and the per-tick comparison, without Prefect",
    )
    parser.add_argument("--repeats", type=int, default=3, help="of the per-tick comparison")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a morning may take")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "KIEMDIEM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="an admin URL of the PostgreSQL server (databases are made and dropped there)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases (to look)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args()
    table = Table()
    problems = run(args, table)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"many-cycles benchmark: {args.cycles} {args.level} cycles, limit {args.limit} a worker; "
        f"{os.cpu_count()} CPUs, load {' '.join(load)}"
    )
    table.print()
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
