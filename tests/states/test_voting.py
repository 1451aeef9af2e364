"""The vote: each voter once, only the eligible, a secret ballot that links no voter to a choice,
an open one that records ballots, and the secretary closing it: quorum, majority, revote."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from kiemdiem.cli import app
from models import (
    ActionRefused,
    AuditEntry,
    Ballot,
    Level,
    Member,
    SealedRound,
    Tally,
    Unit,
    VoterRoll,
    session_scope,
)
from models.org_import import import_organizations
from states import vote
from states.ballot_box import BOX_SIZE
from states.directory import Directory
from states.guards import Electorate
from states.voting import close_vote, tally_of, voters_who_voted
from tests.factories import MEMBERS, ORGS, member, write_district
from tests.states.helpers import act, launch_cycle, local, place, snapshot, state
from vocabulary import use_language
from vocabulary.reasons import worded

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")

LAUNCH = local("2026-11-10 08:00")
G, E, C = Level.GOOD, Level.EXCELLENT, Level.COMPLETED


@pytest.fixture
def cycle(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH)
    return district


def _vote(engine: Engine, voter: str, **ballots: Level) -> None:
    papers = {code.replace("_", ":", 1): level for code, level in ballots.items()}
    act(engine, vote, ballots=papers, actor_code=voter, now=LAUNCH)


def _close(engine: Engine, actor: str, *units: str) -> Any:
    return act(engine, close_vote, unit_codes=list(units), actor_code=actor, now=LAUNCH)


def _vote_tables(engine: Engine) -> tuple[Any, ...]:
    """What a ballot writes besides the ballot table (which `snapshot` already counts)."""
    with Session(engine) as session:
        return (
            sorted((r.unit_id, r.round, r.voter_id) for r in session.exec(select(VoterRoll))),
            sorted((t.unit_id, t.round, t.level, t.count) for t in session.exec(select(Tally))),
            sorted((r.unit_id, r.round, r.boxes) for r in session.exec(select(SealedRound))),
        )


def _unit(engine: Engine, code: str) -> Unit:
    with Session(engine) as session:
        return session.exec(select(Unit).where(Unit.code == code)).one()


def test_a_voter_votes_once_and_only_the_eligible_vote(cycle: Engine) -> None:
    place(cycle, "M:B3", "vote", proposed_level=G)  # voters: B1, B2, B4
    _vote(cycle, "B1", M_B3=G)
    before = snapshot(cycle), _vote_tables(cycle)
    with pytest.raises(ActionRefused) as twice:
        _vote(cycle, "B1", M_B3=E)
    assert "M:B3: B1 (Nguyễn Văn B1) has already voted\nNothing was changed." in str(twice.value)
    for outsider in ("B3", "E1"):  # the member under review; a member of another cell
        with pytest.raises(
            ActionRefused,
            match=f"M:B3: {outsider} \\(.*\\) is not an eligible voter for this unit",
        ):
            _vote(cycle, outsider, M_B3=G)
    assert (snapshot(cycle), _vote_tables(cycle)) == before
    with Session(cycle) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:B3")).one()
        assert voters_who_voted(session, unit) == {_member_id(session, "B1")}
        assert unit.id is not None
        # A secret round's ballot is one sealed box, and no count exists until it closes.
        assert tally_of(session, [unit.id]) == {}
        [sealed] = session.exec(select(SealedRound)).all()
        assert (sealed.unit_id, sealed.round, len(sealed.boxes)) == (unit.id, 1, BOX_SIZE)


def _member_id(session: Session, code: str) -> int:
    return session.exec(select(Member.id).where(Member.code == code)).one()  # type: ignore[return-value]


def test_the_secret_ballot_tables_link_no_voter_to_a_choice(cycle: Engine) -> None:
    # M:B1 and L:B1 have the same voters (B2, B3, B4), who vote in opposite orders.
    place(cycle, "M:B1", "vote", proposed_level=G)
    place(cycle, "L:B1", "vote", proposed_level=G)
    choices = {"B2": E, "B3": G, "B4": C}
    for voter in ("B2", "B3", "B4"):
        _vote(cycle, voter, M_B1=choices[voter])
    for voter in ("B4", "B3", "B2"):
        _vote(cycle, voter, L_B1=choices[voter])
    columns = {
        t: {c["name"] for c in inspect(cycle).get_columns(t)} for t in ("voterroll", "sealedround")
    }
    assert columns == {
        "voterroll": {"id", "unit_id", "round", "voter_id", "at"},
        "sealedround": {"unit_id", "round", "boxes"},  # no id, no time, no voter
    }
    with Session(cycle) as session:
        assert session.exec(select(Ballot)).all() == []  # a secret vote writes no ballot
        assert session.exec(select(Tally)).all() == []  # nor any count before the close
        assert session.exec(select(AuditEntry).where(AuditEntry.trigger == "vote")).all() == []
        sealed = session.exec(select(SealedRound)).all()
        # One row per unit and round; three boxes of one length, in the order of their bytes
        # (not the roll's), none holding a level in the clear.
        assert len(sealed) == 2
        for row in sealed:
            boxes = [row.boxes[i : i + BOX_SIZE] for i in range(0, len(row.boxes), BOX_SIZE)]
            assert len(row.boxes) == 3 * BOX_SIZE and boxes == sorted(boxes)
            assert not any(level.value.encode() in row.boxes for level in Level)
        roll = session.exec(select(VoterRoll).order_by(col(VoterRoll.id))).all()
        assert len(roll) == 6 and all(r.round == 1 for r in roll)
    result = _close(cycle, "B2", "M:B1", "L:B1")
    assert {code: o.tallied() for code, o in result.outcomes.items()} == {
        "M:B1": (("excellent", 1), ("good", 1), ("completed", 1)),
        "L:B1": (("excellent", 1), ("good", 1), ("completed", 1)),
    }
    with Session(cycle) as session:
        assert session.exec(select(SealedRound)).all() == []  # opened, counted, dropped
        tallies = sorted((t.round, t.level, t.count) for t in session.exec(select(Tally)))
    assert tallies == sorted(2 * [(1, E, 1), (1, G, 1), (1, C, 1), (1, Level.NOT_COMPLETED, 0)])


def test_an_open_ballot_records_who_voted_for_what(district: Engine, tmp_path: Path) -> None:
    launch_cycle(district, tmp_path, LAUNCH, rule_set="qd124-2023")
    place(district, "M:A3", "vote", proposed_level=G)
    _vote(district, "A1", M_A3=G)
    _vote(district, "A2", M_A3=E)
    with Session(district) as session:
        ballots = session.exec(select(Ballot).order_by(col(Ballot.id))).all()
        assert [(b.voter_id, b.level, b.round) for b in ballots] == [
            (_member_id(session, "A1"), G, 1),
            (_member_id(session, "A2"), E, 1),
        ]


def test_a_level_outside_the_rule_set_is_refused(
    district: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "rule-sets"
    own.mkdir()
    rules = {
        "name": "office-2026",
        "title": "Ba mức",
        "levels": ["good", "completed", "not_completed"],
        "scored": False,
        "vote": {"quorum": 0.5, "majority": 0.5, "ballot": "secret"},
    }
    (own / "office-2026.yaml").write_text(yaml.safe_dump(rules), "utf-8")
    monkeypatch.setenv("KIEMDIEM_RULE_SETS_DIR", str(own))
    launch_cycle(district, tmp_path, LAUNCH, rule_set="office-2026")
    place(district, "M:A3", "vote", proposed_level=G)
    before = snapshot(district), _vote_tables(district)
    with pytest.raises(ActionRefused) as refused:
        _vote(district, "A1", M_A3=E)
    assert str(refused.value) == (
        "M:A3: 'excellent' is not a level of the rule set office-2026; vote one of: good, "
        "completed, not_completed\nNothing was changed."
    )
    assert (snapshot(district), _vote_tables(district)) == before


def test_closing_below_the_quorum_is_refused_with_the_numbers(cycle: Engine) -> None:
    place(cycle, "M:B3", "vote", proposed_level=G)  # 3 voters
    place(cycle, "M:A3", "vote", proposed_level=G)  # 2 voters: one is exactly half, not more
    _vote(cycle, "B1", M_B3=G)
    _vote(cycle, "A1", M_A3=G)
    before = snapshot(cycle)
    with pytest.raises(ActionRefused) as refused:
        _close(cycle, "B4", "M:B3", "M:A3")  # B4 heads the district, above both cells
    assert str(refused.value) == (
        "M:B3: only 1 of 3 eligible voters have voted; the rule set qd366-2025 needs more than "
        "50% before the vote can close\n"
        "M:A3: only 1 of 2 eligible voters have voted; the rule set qd366-2025 needs more than "
        "50% before the vote can close\n"
        "Nothing was changed."
    )
    assert snapshot(cycle) == before


def test_a_majority_carries_the_level_to_approval(cycle: Engine) -> None:
    place(cycle, "M:B3", "vote", proposed_level=E)
    for voter, level in (("B1", G), ("B2", G), ("B4", E)):
        _vote(cycle, voter, M_B3=level)
    result = _close(cycle, "B1", "M:B3")
    assert result.moved == {"M:B3": ("vote", "approval")}
    assert result.outcomes["M:B3"].short() == "Well completed duties: 2 of 3"
    unit = _unit(cycle, "M:B3")
    assert (unit.state, unit.proposed_level, unit.vote_round) == ("approval", G, 1)
    with Session(cycle) as session:
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.trigger == "close_vote")).all()
    assert (entry.actor, worded(entry.reason)) == (
        "B1",
        "round 1: Well completed duties carried with 2 of 3 ballots",
    )
    with use_language("vi"):  # stored as a code: each reader reads it in their language
        assert worded(entry.reason) == ("vòng 1: Hoàn thành tốt nhiệm vụ đạt 2 trên 3 phiếu")


def test_a_split_vote_goes_to_a_revote_where_everyone_votes_again(cycle: Engine) -> None:
    place(cycle, "M:B3", "vote", proposed_level=G)
    for voter, level in (("B1", E), ("B2", G), ("B4", C)):
        _vote(cycle, voter, M_B3=level)
    result = _close(cycle, "B2", "M:B3")
    assert result.moved == {"M:B3": ("vote", "vote")}
    assert result.outcomes["M:B3"].short() == (
        "Excellently completed duties 1, Well completed duties 1, Completed duties 1"
    )
    assert _unit(cycle, "M:B3").vote_round == 2
    with Session(cycle) as session:
        [entry] = session.exec(select(AuditEntry).where(AuditEntry.trigger == "call_revote")).all()
    assert worded(entry.reason) == (
        "round 1: no level has more than 50% of the 3 ballots (Excellently completed duties 1, "
        "Well completed duties 1, Completed duties 1); round 2 begins"
    )
    assert entry.reason and not re.search(r"B[1-4]", entry.reason)  # counts, never names
    # Round 2: the same voters vote again, from a fresh tally.
    _vote(cycle, "B1", M_B3=G)
    _vote(cycle, "B4", M_B3=G)
    with Session(cycle) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:B3")).one()
        assert unit.id is not None
        assert tally_of(session, [unit.id]) == {}  # round 2 is sealed; round 1 was counted
        [sealed] = session.exec(select(SealedRound)).all()
        assert (sealed.round, len(sealed.boxes)) == (2, 2 * BOX_SIZE)
        assert len(voters_who_voted(session, unit)) == 2
    with pytest.raises(ActionRefused, match="B1 .* has already voted"):
        _vote(cycle, "B1", M_B3=G)
    _close(cycle, "B2", "M:B3")
    assert (_unit(cycle, "M:B3").state, _unit(cycle, "M:B3").proposed_level) == ("approval", G)


@pytest.mark.parametrize(
    ("unit", "actor", "message"),
    [
        (
            "M:B3",
            "B3",
            "M:B3: B3 (Nguyễn Văn B3) cannot close the vote on their own review; the secretary of "
            "G2 (Đảng ủy xã Hưng Lộc) or of a committee above it closes it",
        ),
        (
            "M:B3",
            "E1",
            "M:B3: E1 (Nguyễn Văn E1) does not run this vote; the secretary of C2 (Chi bộ thôn 2) "
            "or of a committee above it closes it",
        ),
        (
            "L:B1",
            "B1",
            "L:B1: B1 (Nguyễn Văn B1) cannot close the vote on their own review; the secretary of "
            "G2 (Đảng ủy xã Hưng Lộc) or of a committee above it closes it",
        ),
        (
            "O:C2",
            "B1",
            "O:C2: B1 (Nguyễn Văn B1) does not run this vote; the secretary of G2 "
            "(Đảng ủy xã Hưng Lộc) or of a committee above it closes it",
        ),
    ],
)
def test_only_the_secretary_closes_the_vote(
    cycle: Engine, unit: str, actor: str, message: str
) -> None:
    place(cycle, unit, "vote", proposed_level=G)
    with Session(cycle) as session:
        found = session.exec(select(Unit).where(Unit.code == unit)).one()
        voters = Electorate(session, Directory.load(session)).voters(found)
        codes = {m.code for m in session.exec(select(Member)) if m.id in voters}
    for voter in sorted(codes):
        _vote(cycle, voter, **{unit.replace(":", "_"): G})
    before = snapshot(cycle)
    with pytest.raises(ActionRefused) as refused:
        _close(cycle, actor, unit)
    assert str(refused.value) == f"{message}\nNothing was changed."
    assert snapshot(cycle) == before
    secretary = "B2"  # heads G2: above C2, and the committee above C2 for the collective
    _close(cycle, secretary, unit)
    assert state(cycle, unit) == "approval"


def test_the_secretary_closes_votes_from_the_command_line(
    cycle: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", database_url)
    place(cycle, "M:B3", "vote", proposed_level=G)
    place(cycle, "M:B1", "vote", proposed_level=G)
    for voter, level in (("B1", G), ("B2", G), ("B4", E)):
        _vote(cycle, voter, M_B3=level)
    for voter, level in (("B2", E), ("B3", G), ("B4", C)):
        _vote(cycle, voter, M_B1=level)
    now = "2026-11-10T09:00:00+07:00"
    closed = CliRunner().invoke(
        app, ["unit", "close-vote", "TT-2026", "M:B3", "M:B1", "--as", "B2", "--now", now]
    )
    assert closed.exit_code == 0, closed.output
    said = " ".join(closed.output.split())  # the console wraps long lines
    assert said == (
        "M:B3: vote → approval (Well completed duties: 2 of 3) "
        "M:B1: revote (round 2): Excellently completed duties 1, Well completed duties 1, "
        "Completed duties 1"
    )


def test_a_unit_nobody_may_vote_on_closes_with_its_own_proposal(
    district: Engine, tmp_path: Path
) -> None:
    lone = {**ORGS[-1], "code": "C4", "name": "Chi bộ thôn 4"}
    (tmp_path / "more").mkdir()
    orgs_csv, members_csv = write_district(
        tmp_path / "more", [*ORGS, lone], [*MEMBERS, member("F1", "C4")]
    )
    with session_scope(district) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch_cycle(district, tmp_path, LAUNCH)
    place(district, "M:F1", "vote", proposed_level=C)  # F1 is C4's only member
    with pytest.raises(ActionRefused, match="F1 .* cannot close the vote on their own review"):
        _close(district, "F1", "M:F1")
    result = _close(district, "B2", "M:F1")  # B2 heads G2, above C4
    assert result.moved == {"M:F1": ("vote", "approval")}
    assert _unit(district, "M:F1").proposed_level == C


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_ballot_cast_while_the_secretary_closes_is_counted(cycle: Engine) -> None:
    """The ballot holds a share lock on the unit until it commits; closing waits for it, so
    the tally it reads includes the ballot (without the lock it would read 2 of 3)."""
    place(cycle, "M:B3", "vote", proposed_level=G)  # voters: B1, B2, B4; B1 heads C2
    _vote(cycle, "B1", M_B3=G)
    _vote(cycle, "B2", M_B3=G)
    closed: dict[str, Any] = {}
    with Session(cycle) as voter:
        vote(session=voter, cycle_code="TT-2026", ballots={"M:B3": G}, actor_code="B4", now=LAUNCH)
        voter.flush()
        secretary = threading.Thread(
            target=lambda: closed.update(result=_close(cycle, "B1", "M:B3"))
        )
        secretary.start()
        secretary.join(timeout=2)
        assert secretary.is_alive()  # waiting for the ballot's transaction
        voter.commit()
    secretary.join(timeout=30)
    assert closed["result"].outcomes["M:B3"].cast == 3
    assert state(cycle, "M:B3") == "approval"
