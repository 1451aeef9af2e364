"""Committee membership as imported (members.csv `committees`), used by collective votes and
approvals; where none is imported, a committee is its heads and its children's heads."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import ImportRejected, Unit
from models.errors import Refusal
from models.organization import Member
from states.cycles import get_cycle
from states.directory import Directory
from states.guards import PERSON_GUARDS, Electorate, GuardContext
from tests.states.helpers import CYCLE, import_seated, launch_cycle, local

SEATS = {"A3": "G1", "B1": "D:standing"}


@pytest.fixture
def seated(engine: Engine, tmp_path: Path) -> Engine:
    import_seated(engine, tmp_path, SEATS)
    launch_cycle(engine, tmp_path, local("2026-11-10 08:00"))
    return engine


def _ids(session: Session, *codes: str) -> set[int]:
    rows = session.exec(select(Member.id).where(Member.code.in_(codes)))  # type: ignore[attr-defined]
    return {i for i in rows if i is not None}


def test_an_imported_committee_is_exactly_who_sits_on_it(seated: Engine) -> None:
    with Session(seated) as session:
        directory = Directory.load(session)
        g1, g2 = directory.by_code["G1"].id, directory.by_code["G2"].id
        # G1 seats A3: its committee is its head A2 and A3, not C1's secretary A1 any more.
        assert directory.committee(g1) == _ids(session, "A2", "A3")
        # G2 seats nobody: its head and its cells' heads, as before.
        assert directory.committee(g2) == _ids(session, "B2", "B1", "E1")
        # The cell C1's collective is voted on by G1's committee as imported.
        unit = session.exec(select(Unit).where(Unit.code == "O:C1")).one()
        assert Electorate(session, directory).voters(unit) == _ids(session, "A2", "A3")


def _approver_refusal(engine: Engine, actor: str, code: str) -> str | None:
    """The code of the approver guard's refusal, or None when the actor may decide."""
    with Session(engine) as session:
        cycle = get_cycle(session, CYCLE)
        member = session.exec(select(Member).where(Member.code == actor)).one()
        unit = session.exec(select(Unit).where(Unit.code == code)).one()
        ctx = GuardContext.load(session, cycle, member, [unit])
        refusal = PERSON_GUARDS["actor_on_approving_committee"](ctx, unit)
        return refusal.code if isinstance(refusal, Refusal) else refusal


def test_the_standing_committee_as_imported_approves(seated: Engine) -> None:
    # B1 sits on D's standing committee: it decides G1's collective (D approves G1's units).
    assert _approver_refusal(seated, "B1", "O:G1") is None
    # Not its own: B1 heads C2, on G2's committee.
    assert _approver_refusal(seated, "B1", "O:G2") == "decides_own_collective"
    assert _approver_refusal(seated, "E2", "O:G1") == "not_approver"


@pytest.mark.usefixtures("english")  # it reads the English words
def test_a_seat_on_an_unknown_committee_is_refused(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ImportRejected) as rejected:
        import_seated(engine, tmp_path, {"A3": "NOPE", "B3": "D:board"})
    assert [p.split(": ", 1)[1] for p in rejected.value.problems] == [
        "committees 'NOPE': 'NOPE' is not an organization in organizations.csv or already imported",
        "committees 'D:board' is not a seat: write CODE (its committee), CODE:standing, "
        "CODE:inspection or CODE:team=NAME",
    ]
