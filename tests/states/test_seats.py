"""The inspection commission and directing teams as imported (members.csv `committees`:
`CODE:inspection`, `CODE:team=NAME`), used by the roles, the suggestion and supervision
guards and the dashboard's scope; the plan's lists only where nobody is seated."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import ActionRefused, ImportRejected, RemediationNote, Unit, session_scope
from models.db import get_engine, init_db
from models.organization import Member
from states.cycles import get_cycle
from states.directory import Directory
from states.guards import PERSON_GUARDS, GuardContext
from states.people import Role, person
from states.remediation import supervise
from states.views.dashboard import scope_of
from tests.states.helpers import CYCLE, import_seated, launch_cycle, local, tick
from tests.states.test_remediation import APPROVED, _member_with_shortcomings

pytestmark = pytest.mark.usefixtures("english")

LAUNCH = local("2026-11-10 08:00")
# A3 sits on the district's inspection commission; E2 on directing team T1, following G2.
SEATS = {"A3": "D:inspection", "E2": "G2:team=T1", "B3": "G1; C1:team=T1"}


@pytest.fixture
def sqlite(sqlite_url: str) -> Engine:
    engine = get_engine(sqlite_url)
    init_db(engine)
    return engine


@pytest.fixture
def seated(sqlite: Engine, tmp_path: Path) -> Engine:
    import_seated(sqlite, tmp_path, SEATS)
    # The plan still names B4 and a team led by B4: the imported seats replace both.
    team = {"code": "P1", "name": "Tổ 1", "lead": "B4", "organizations": ["G1"]}
    launch_cycle(
        sqlite,
        tmp_path,
        LAUNCH,
        inspection_commission=["B4"],
        directing_teams=[team],
        remediation_days=30,
    )
    tick(sqlite, LAUNCH)
    return sqlite


def _roles(engine: Engine, code: str) -> frozenset[Role]:
    with Session(engine) as session:
        return person(session, f"m:{code}").roles


def test_the_roles_follow_the_imported_seats(seated: Engine) -> None:
    assert Role.INSPECTION in _roles(seated, "A3")
    assert Role.INSPECTION not in _roles(seated, "B4")  # only the plan names B4
    assert Role.DIRECTING_TEAM in _roles(seated, "E2")
    assert Role.DIRECTING_TEAM in _roles(seated, "B3")
    assert Role.DIRECTING_TEAM not in _roles(seated, "B4")  # the plan's lead


def _may_suggest(engine: Engine, actor: str, code: str) -> str | None:
    with Session(engine) as session:
        cycle = get_cycle(session, CYCLE)
        member = session.exec(select(Member).where(Member.code == actor)).one()
        unit = session.exec(select(Unit).where(Unit.code == code)).one()
        ctx = GuardContext.load(session, cycle, member, [unit])
        refusal = PERSON_GUARDS["actor_may_suggest"](ctx, unit)
        return None if refusal is None else refusal.code


def test_a_seated_inspector_may_suggest_an_unseated_one_may_not(seated: Engine) -> None:
    assert _may_suggest(seated, "A3", "M:E2") is None
    assert _may_suggest(seated, "B3", "M:E2") == "may_not_suggest"
    # B4 heads D, so suggests as the standing committee; not as the inspection commission.
    with Session(seated) as session:
        from states.suggestions import roles_for

        cycle = get_cycle(session, CYCLE)
        for actor, expected in (("A3", ["inspection"]), ("B4", ["standing"])):
            member = session.exec(select(Member).where(Member.code == actor)).one()
            unit = session.exec(select(Unit).where(Unit.code == "M:E2")).one()
            assert roles_for(GuardContext.load(session, cycle, member, [unit]), unit) == expected


def test_a_seated_inspector_supervises_an_unseated_one_is_refused(seated: Engine) -> None:
    [item, _] = _member_with_shortcomings(seated)
    with pytest.raises(ActionRefused) as refused, session_scope(seated) as session:
        supervise(
            session=session, shortcoming_id=item["id"], actor_code="B4", now=APPROVED, note="x"
        )
    assert [r.code for r in refused.value.refusals][0] == "not_inspection_commission"
    assert "inspection commission of TT-2026 (A3)" in str(refused.value)
    with session_scope(seated) as session:
        supervise(
            session=session, shortcoming_id=item["id"], actor_code="A3", now=APPROVED, note="Tốt."
        )
    with Session(seated) as session:
        notes = session.exec(select(RemediationNote)).all()
    assert [(n.kind, n.text, n.author_id) for n in notes] == [
        ("supervision", "Tốt.", session.exec(select(Member.id).where(Member.code == "A3")).one())
    ]


def test_a_seated_team_member_watches_the_teams_organizations(seated: Engine) -> None:
    with Session(seated) as session:
        cycle = get_cycle(session, CYCLE)
        directory = Directory.load(session)
        scope = scope_of(session, cycle, directory, member_code="E2")
        assert (scope.whole_cycle, scope.label) == (False, "team:T1")
        assert sorted(r.code for r in scope.roots) == ["C1", "G2"]
        # A3 (an inspector on no team, heading nothing) watches nothing.
        with pytest.raises(ActionRefused) as refused:
            scope_of(session, cycle, directory, member_code="A3")
        assert refused.value.refusals[0].code == "dashboard_not_yours"


def test_without_seats_the_plans_lists_stand(sqlite: Engine, tmp_path: Path) -> None:
    import_seated(sqlite, tmp_path, {})
    team = {"code": "P1", "name": "Tổ 1", "lead": "E2", "organizations": ["G1"]}
    launch_cycle(sqlite, tmp_path, LAUNCH, inspection_commission=["B3"], directing_teams=[team])
    assert Role.INSPECTION in _roles(sqlite, "B3")
    assert Role.DIRECTING_TEAM in _roles(sqlite, "E2")
    with Session(sqlite) as session:
        scope = scope_of(
            session, get_cycle(session, CYCLE), Directory.load(session), member_code="E2"
        )
    assert (scope.label, [r.code for r in scope.roots]) == ("team:P1", ["G1"])


def test_bad_seats_are_refused_at_their_line_and_nothing_is_written(
    sqlite: Engine, tmp_path: Path
) -> None:
    import_seated(sqlite, tmp_path, {"A3": "D:inspection"})
    with pytest.raises(ImportRejected) as rejected:
        import_seated(
            sqlite,
            tmp_path,
            {
                "A3": "D:inspector",  # line 4
                "B1": "NOPE:inspection",  # line 5
                "B3": "G2:team=",  # line 7
                "B4": "G2:team=a/b",  # line 8
                "E2": "G2:inspection G1:team=T1",  # line 10, good: written only with the rest
            },
        )
    assert rejected.value.problems == [
        "members.csv:4: committees 'D:inspector' is not a seat: write CODE (its committee), "
        "CODE:standing, CODE:inspection or CODE:team=NAME",
        "members.csv:5: committees 'NOPE:inspection': 'NOPE' is not an organization in "
        "organizations.csv or already imported",
        "members.csv:7: committees 'G2:team=': the team name '' may hold only letters A-Z, "
        "digits, '.', '_' and '-' (not first)",
        "members.csv:8: committees 'G2:team=a/b': the team name 'a/b' may hold only letters "
        "A-Z, digits, '.', '_' and '-' (not first)",
    ]
    with Session(sqlite) as session:
        seats = dict(session.exec(select(Member.code, Member.committees)).all())
    assert {c: s for c, s in seats.items() if s} == {"A3": "D:inspection"}
