"""A tick reads its own cycle's part of the tree (`Directory.for_cycle`), delivery its batch's
(`Directory.around`): the same outcomes as with the whole tree, whatever other offices share
the database, and no statement of the tick reads their organizations or members."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import Level, OutboxMessage, get_engine, init_db, load_settings, session_scope
from models.cycle import Unit, UnitKind
from models.org_import import import_organizations
from models.organization import Member, Organization
from models.outbox import MailStatus
from notifications import deferred
from states import advance, cycle_status, directory, escalate, launch, load_plan, submit_self_review
from states.cycles import approving_committee, begin_tick, get_cycle, plan_of
from states.directory import Directory
from states.insights import cycle_insights
from states.recipients import ROLES, StepRecipients, readdress, team_contacts
from states.reimport import reimport_organizations
from states.signin import personalize, read_link
from tests.conftest import _admin, _url_of
from tests.factories import MEMBERS, ORGS, member, write_csv, write_plan
from tests.states.helpers import local, review_form

HEADER = ["code", "full_name", "email", "organization_code", "position", "leads", "residence"]
HEADER += ["committees"]
OURS = "TT-2026"  # launched by D (the factories' district)
THEIRS = "XX-2026"  # launched by X, D's sibling under P
MORNINGS = ["11-10", "11-19", "11-22", "11-24", "11-28", "11-30", "12-03", "12-08"]
# The other district: as large as a few hundred organizations and members, so that a whole
# read of either table cannot pass for a scoped one.
X_CELLS = 120


def _other_tree() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    def org(code: str, level: str, parent: str) -> dict[str, str]:
        mail = code.lower()
        return {
            "code": code,
            "name": f"Tổ chức {code}",
            "level": level,
            "parent_code": parent,
            "email": f"{mail}@example.vn",
            "secretary_email": f"bt.{mail}@example.vn",
        }

    orgs = [org("X", "district", "P"), org("XG1", "grassroots", "X"), org("XG2", "grassroots", "X")]
    members = [member("XB", "XG1", leads="X"), member("XG1H", "XG1", leads="XG1")]
    members.append(member("XG2H", "XG2", leads="XG2"))
    for c in range(X_CELLS):
        cell = f"XC{c}"
        orgs.append(org(cell, "cell", "XG1" if c % 2 else "XG2"))
        members += [member(f"{cell}M{m}", cell, leads=cell if m == 0 else "") for m in range(3)]
    return orgs, members


def _import(engine: Engine, tmp_path: Path, orgs: list[Any], members: list[Any]) -> None:
    orgs_csv = write_csv(tmp_path / "organizations.csv", list(ORGS[0]), orgs)
    members_csv = write_csv(tmp_path / "members.csv", HEADER, members)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)


def _launch(engine: Engine, tmp_path: Path, **plan: Any) -> None:
    with session_scope(engine) as session:
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path, **plan)),
            now=local("2026-11-10 08:00"),
            settings=load_settings(),
        )


def _launch_theirs(engine: Engine, tmp_path: Path) -> None:
    """X's cycle, its plan-issued mail already sent (our ticks deliver only ours)."""
    _launch(engine, tmp_path, code=THEIRS, launched_by="X", pilots=None)
    with engine.begin() as connection:
        connection.execute(text("UPDATE outboxmessage SET status = 'SENT'"))


def _ours(residence: dict[str, str] | None = None) -> list[dict[str, str]]:
    """The factories' members; A3 lives in C2, so C2 is asked for an opinion of A3."""
    where = {"A3": "C2", **(residence or {})}
    return [{**m, "residence": where.get(m["code"], "")} for m in MEMBERS]


@pytest.fixture
def second_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second database on the same backend as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'alone.db'}"
        return
    name = f"kiemdiem_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield _url_of(name)
    finally:
        get_engine(_url_of(name)).dispose()
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tick(engine: Engine, code: str, now: datetime) -> dict[str, Any]:
    """What the review-cycle flow's tasks do, without Prefect: advance, escalate, deliver
    (readdressed and personalized; marked sent here, nothing is sent), status, insights."""
    settings = load_settings()
    # As in a flow run's own process: no tree held from before (the launch, an action).
    directory._CACHE.clear()
    directory._SCOPED.clear()
    with session_scope(engine) as session:
        cycle = get_cycle(session, code)
        tick = begin_tick(session, cycle, now)
        moved = advance(session=session, cycle=cycle, now=now)
    with session_scope(engine) as session:
        result = escalate(
            session=session, cycle=get_cycle(session, code), tick=tick, now=now, settings=settings
        )
    with session_scope(engine) as session:
        pending = OutboxMessage.status == MailStatus.PENDING
        rows = list(session.exec(select(OutboxMessage).where(pending)))
        lost = {row.key for row in readdress(session, rows)}
        recipients = {row.key: row.recipient for row in rows}
        session.flush()
        for row in rows:
            session.expunge(row)
    deferred.fill([r for r in rows if r.payload is not None])
    with session_scope(engine) as session:
        bodies = personalize(session, rows, settings)
    signed = {
        row.key: sorted({read_link(settings, t) for t in TOKEN.findall(bodies[row.id][0])})
        for row in rows
        if row.id in bodies
    }
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE outboxmessage SET status = 'SENT' WHERE status = 'PENDING'")
        )
    with session_scope(engine) as session:
        cycle = get_cycle(session, code)
        status = cycle_status(session=session, cycle=cycle, now=now)
        insights = cycle_insights(session=session, cycle=cycle, now=now)
    return {
        "moved": moved,
        "escalated": result.__dict__,
        "lost": lost,
        "recipients": recipients,
        "signed": signed,
        "status": status,
        "insights": insights,
    }


TOKEN = re.compile(r"/signin/([^?\s\"'<>]+)")


def _left(engine: Engine, code: str) -> dict[str, Any]:
    """What the cycle's ticks left, by codes (ids differ between databases)."""
    with engine.connect() as connection:

        def rows(sql: str) -> list[tuple[str, ...]]:
            found = connection.execute(text(sql), {"cycle": code})
            return sorted(tuple(str(x) for x in row) for row in found)

        orgs = dict(connection.execute(text("SELECT id, code FROM organization")).all())
        people = dict(connection.execute(text("SELECT id, code FROM member")).all())
        of = "JOIN unit u ON u.id = x.unit_id JOIN cycle c ON c.id = u.cycle_id"
        of += " WHERE c.code = :cycle"
        outbox = []
        for key, recipient, ref, kind, payload in connection.execute(
            text(
                "SELECT o.key, o.recipient, o.recipient_ref, o.kind, o.payload FROM outboxmessage o"
                " JOIN cycle c ON c.id = o.cycle_id WHERE c.code = :cycle"
            ),
            {"cycle": code},
        ):
            if ref:  # role|kind|org id|member id, by codes
                role, kind_, org, person = ref.split("|")
                ref = f"{role}|{kind_}|{orgs[int(org)]}|{people[int(person)] if person else ''}"
            outbox.append((key, recipient, ref, kind, json.dumps(payload, sort_keys=True)))
        return {
            "units": rows(
                "SELECT u.code, u.state FROM unit u JOIN cycle c ON c.id = u.cycle_id"
                " WHERE c.code = :cycle"
            ),
            "audit": rows(
                "SELECT u.code, x.at, x.actor, x.trigger, x.from_state, x.to_state, x.reason,"
                f" x.via FROM auditentry x {of}"
            ),
            "escalations": rows(f"SELECT u.code, x.stage, x.step FROM escalation x {of}"),
            "opinions": rows(f"SELECT u.code, x.source, x.asked_at FROM opinion x {of}"),
            "outbox": sorted(outbox),
        }


def _mornings(
    engine: Engine, code: str, sent: list[tuple[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The cycle's ticks on MORNINGS (A3 submits after the second); every statement the
    ticks sent is added to `sent`."""
    said = []
    for day in MORNINGS:
        with engine_statements(engine) as seen:
            said.append(_tick(engine, code, local(f"2026-{day} 08:00")))
        if sent is not None:
            sent += seen
        if day == "11-19":
            with session_scope(engine) as session:  # C2 is asked of A3 at the next tick
                submit_self_review(
                    session=session,
                    cycle_code=code,
                    unit_code="M:A3",
                    actor_code="A3",
                    now=local(f"2026-{day} 09:00"),
                    **review_form(Level.GOOD),
                )
    return said


def _comparable(ticks: list[dict[str, Any]]) -> str:
    for tick in ticks:
        tick["lost"] = sorted(tick["lost"])
    # A digest's key names its tick by id: both databases number their ticks alike here.
    return json.dumps(ticks, sort_keys=True, default=str)


def test_a_tick_beside_another_office_does_what_it_does_alone(
    database_url: str, second_url: str, tmp_path: Path
) -> None:
    both, alone = get_engine(database_url), get_engine(second_url)
    init_db(both)
    init_db(alone)
    theirs_orgs, theirs_members = _other_tree()
    (tmp_path / "both").mkdir()
    (tmp_path / "alone").mkdir()
    _import(both, tmp_path / "both", ORGS + theirs_orgs, _ours() + theirs_members)
    _launch_theirs(both, tmp_path / "both")
    _launch(both, tmp_path / "both")
    _import(alone, tmp_path / "alone", ORGS, _ours())
    _launch(alone, tmp_path / "alone")
    sent: list[tuple[str, Any]] = []
    beside = _mornings(both, OURS, sent)
    by_itself = _mornings(alone, OURS)
    assert _left(both, OURS) == _left(alone, OURS)
    assert _comparable(beside) == _comparable(by_itself)
    # It did something worth comparing: reminders, notices, digests, an opinion asked, links.
    left = _left(alone, OURS)
    assert {row[3] for row in left["outbox"]} >= {"reminder", "overdue", "digest"}
    assert [o for o in left["opinions"] if o[1] == "residence:C2" and o[2] != "None"]
    assert any(t["signed"] for t in by_itself)
    assert len(left["escalations"]) > 20
    # and none of its statements read the other district's organizations or members
    theirs = {o["code"] for o in theirs_orgs}
    # (delivery looked someone up by address, on migration 0012's lower(email) indexes)
    assert any("lower(member.email)" in statement for statement, _ in sent)
    assert _whole_reads(both, sent) == []
    assert not theirs & set(Directory_for(both, OURS).by_code)


def Directory_for(engine: Engine, code: str) -> Directory:
    directory._CACHE.clear()
    with Session(engine) as session:
        return Directory.for_cycle(session, get_cycle(session, code))


class engine_statements:
    """Every statement (with its parameters) the engine sends inside the block."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.sent = engine, []

    def _note(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.sent.append((statement, parameters))

    def __enter__(self) -> list[tuple[str, Any]]:
        event.listen(self.engine, "before_cursor_execute", self._note)
        return self.sent

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._note)


TREE_TABLES = ("organization", "member")
# The tree's rows a statement may read, over all its loops: the factories' province and
# district are 7 organizations and 10 members, looked up once per unit (24) or so; a whole
# read of either table is the other district's 123 organizations or 363 members and more.
MOST = 100


def _whole_reads(engine: Engine, sent: list[tuple[str, Any]]) -> list[str]:
    """The statements that read more of `organization` or `member` than one district's
    rows: on PostgreSQL the rows each plan node read (EXPLAIN ANALYZE, rolled back); on SQLite
    a full scan of either table in the query plan (it counts no rows)."""
    found = []
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        for statement, parameters in sent:
            head = statement.lstrip().split(None, 1)[0].upper()
            if head not in {"SELECT", "UPDATE", "INSERT", "DELETE", "WITH"}:
                continue
            if isinstance(parameters, list):
                parameters = parameters[0] if parameters else ()
            if sqlite:
                plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                scans = [
                    row[3]
                    for row in plan
                    if re.match(r"SCAN (organization|member)(_\d+)?\b", row[3])
                ]
                if scans:
                    found.append(f"{scans}: {statement[:300]}")
                continue
            # A table this small is cheaper read whole: price that out, so a plan reads
            # the whole table only where no index could serve it (whatever its size).
            connection.exec_driver_sql("SET enable_seqscan = off")
            (plan,) = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters or {}
            ).one()
            read = _rows_read(plan[0]["Plan"])
            if any(n > MOST for n in read.values()):
                found.append(f"{read}: {statement[:300]}")
            connection.rollback()
    return found


def _rows_read(node: dict[str, Any]) -> dict[str, float]:
    """Rows each tree table's scans in this plan returned or filtered out, over all loops."""
    read: dict[str, float] = {}
    table = node.get("Relation Name")
    if table in TREE_TABLES:
        per_loop = node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
        read[table] = per_loop * node.get("Actual Loops", 1)
    for child in node.get("Plans", []):
        for t, n in _rows_read(child).items():
            read[t] = read.get(t, 0) + n
    return read


def test_the_cycles_directory_answers_as_the_whole_tree_does(
    district_with_neighbour: Engine,
) -> None:
    scoped = _answers_alike(district_with_neighbour)
    # its subtree, the organizations above it, and B3's residence cell in the other district
    # with those above that
    assert set(scoped.by_code) == {"P", "D", "G1", "G2", "C1", "C2", "C3", "X", "XG2", "XC0"}
    # Seats are not read for a scope: asked, it refuses rather than answer "nobody".
    d = scoped.by_code["D"].id
    with pytest.raises(LookupError):
        scoped.committee(d)
    with pytest.raises(LookupError):
        scoped.inspection_commission(d)


def test_a_unit_moved_out_of_the_subtree_by_a_reimport_is_in_the_cycles_directory(
    district_with_neighbour: Engine, tmp_path: Path
) -> None:
    engine = district_with_neighbour
    theirs_orgs, theirs_members = _other_tree()
    moved = [{**m, "organization_code": "XC1"} if m["code"] == "A3" else m for m in _ours()]
    orgs_csv = write_csv(tmp_path / "organizations.csv", list(ORGS[0]), ORGS + theirs_orgs)
    members_csv = write_csv(tmp_path / "members.csv", HEADER, moved + theirs_members)
    with session_scope(engine) as session:
        reimport_organizations(
            session=session,
            organizations_csv=orgs_csv,
            members_csv=members_csv,
            now=local("2026-11-11 08:00"),
            confirm=True,
        )
    scoped = _answers_alike(engine)
    assert {"XC1", "XG1"} <= set(scoped.by_code)
    said = _tick(engine, OURS, local("2026-11-19 08:00"))  # escalates A3 where A3 is now
    assert said["escalated"]["steps"] > 0


def _answers_alike(engine: Engine) -> Directory:
    """The cycle's directory, after checking that it answers every question a tick asks as
    the whole tree does, about every organization it holds and every unit of the cycle."""
    with Session(engine) as session:
        cycle = get_cycle(session, OURS)
        directory._CACHE.clear()
        scoped, whole = Directory.for_cycle(session, cycle), Directory.load(session)
        teams = team_contacts(session, plan_of(cycle))
        unit_orgs = set(session.exec(select(Unit.organization_id).where(Unit.cycle_id == cycle.id)))
    assert scoped.scope and whole.scope is None
    assert unit_orgs <= set(scoped.orgs)
    inside = [n for n in scoped.orgs.values() if n.path.startswith(whole.by_code["D"].path)]
    for node in scoped.orgs.values():
        assert node == whole.orgs[node.id]
        assert [n.code for n in scoped.lineage(node.id)] == [n.code for n in whole.lineage(node.id)]
        for attribute in ("email", "secretary_email"):
            assert scoped.address(node.id, attribute) == whole.address(node.id, attribute)
        assert scoped.rollup(node.id) == whole.rollup(node.id)
        assert scoped.heads.get(node.id) == whole.heads.get(node.id)
        assert approving_committee(scoped, cycle, node.id) == approving_committee(
            whole, cycle, node.id
        )
    for node in inside:
        assert sorted(scoped.children.get(node.id, [])) == sorted(whole.children.get(node.id, []))
    a, b = StepRecipients(scoped, cycle, teams), StepRecipients(whole, cycle, teams)
    for org_id in unit_orgs:
        for kind in UnitKind:
            for role in (r for r in ROLES if r != "team"):  # a team: `team` below
                for stage in ("self_review", "peer_review", "vote", "approval", "remediation"):
                    assert a.find(role, stage, kind, org_id) == b.find(role, stage, kind, org_id)
            assert a.team(org_id) == b.team(org_id)
    return scoped


def test_the_opinion_of_a_residence_cell_in_another_tree_is_asked_there(
    district_with_neighbour: Engine,
) -> None:
    engine = district_with_neighbour
    _tick(engine, OURS, local("2026-11-10 08:00"))
    with session_scope(engine) as session:
        submit_self_review(
            session=session,
            cycle_code=OURS,
            unit_code="M:B3",
            actor_code="B3",
            now=local("2026-11-12 09:00"),
            **review_form(Level.GOOD),
        )
    said = _tick(engine, OURS, local("2026-11-13 08:00"))
    assert said["escalated"]["opinion_requests"] == 1
    with Session(engine) as session:
        (asked,) = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == "opinion_request")
        ).all()
    assert asked.recipient == "bt.xc0@example.vn"


@pytest.fixture
def district_with_neighbour(engine: Engine, tmp_path: Path) -> Engine:
    """Both districts imported, each with its cycle; B3 (of D) lives in XC0, a cell of X, and
    a member of X sits on D's standing committee."""
    theirs_orgs, theirs_members = _other_tree()
    theirs_members = [
        {**m, "committees": "D:standing"} if m["code"] == "XB" else m for m in theirs_members
    ]
    _import(engine, tmp_path, ORGS + theirs_orgs, _ours({"B3": "XC0"}) + theirs_members)
    _launch_theirs(engine, tmp_path)
    _launch(engine, tmp_path)
    with Session(engine) as session:
        assert session.exec(select(Member).where(col(Member.committees).is_not(None))).all()
        assert session.exec(select(Organization).where(Organization.code == "XC0")).one()
    return engine
