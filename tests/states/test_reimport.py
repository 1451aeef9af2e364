"""Re-importing the tree while a cycle runs: every change for the running cycle is listed and
refused unless confirmed; what is confirmed is applied consistently (units created, moved
units follow their members, open rounds whose voters change start again)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from models import (
    ActionRefused,
    AuditEntry,
    Level,
    Member,
    SealedRound,
    StageDeadline,
    Unit,
    session_scope,
)
from states import vote
from states.reimport import reimport_organizations
from states.voting import voters_who_voted
from tests.factories import MEMBERS, ORGS, member, write_district
from tests.states.helpers import act, launch_cycle, local, place
from vocabulary import use_language
from vocabulary.reasons import worded
from vocabulary.refusals import word

NOW = local("2026-11-12 09:00")


def _reimport(engine: Engine, tmp_path: Path, people: list[dict[str, str]], *, confirm: bool):  # type: ignore[no-untyped-def]
    orgs_csv, members_csv = write_district(tmp_path, ORGS, people)
    with session_scope(engine) as session:
        return reimport_organizations(
            session=session,
            organizations_csv=orgs_csv,
            members_csv=members_csv,
            now=NOW,
            confirm=confirm,
        )


def _changed(people: list[dict[str, str]]) -> list[dict[str, str]]:
    """N1 joins C1; B3 moves from C2 to C1; B3 takes over C2 from B1."""
    out = [dict(m) for m in people]
    b1 = next(m for m in out if m["code"] == "B1")
    b3 = next(m for m in out if m["code"] == "B3")
    b1["leads"] = ""
    b3.update(organization_code="C1", leads="C2")
    return [*out, member("N1", "C1")]


@pytest.fixture
def running(district: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    launch_cycle(district, tmp_path, local("2026-11-10 08:00"))
    return district


def test_a_reimport_that_changes_a_running_cycle_is_refused_with_each_change(
    running: Engine, tmp_path: Path
) -> None:
    place(running, "M:A3", "vote", proposed_level=Level.GOOD)  # voters: A1, A2
    with Session(running) as session:
        units_before = session.exec(select(func.count()).select_from(Unit)).one()
    with pytest.raises(ActionRefused) as refused:
        _reimport(running, tmp_path, _changed(MEMBERS), confirm=False)
    by_code = {(r.code, r.unit or r.fields.get("organization")) for r in refused.value.refusals}
    assert ("reimport_new_unit", "M:N1") in by_code
    assert ("reimport_new_unit", "L:B3") in by_code  # B3 now heads C2
    assert ("reimport_moved", "M:B3") in by_code
    assert ("reimport_head", "C2") in by_code
    assert ("reimport_revote", "M:A3") in by_code
    assert refused.value.refusals[-1].code == "reimport_needs_confirm"
    text = str(refused.value)
    assert "M:B3: in running cycle TT-2026 it moves from C2 to C1" in text
    assert "the head of C2 changes from B1 to B3" in text
    assert "M:A3: in running cycle TT-2026 its open vote's voters change (new: B3, N1" in text
    assert "--confirm" in word(refused.value.refusals[-1])
    with Session(running) as session:  # nothing imported, nothing created
        assert session.exec(select(Member).where(Member.code == "N1")).first() is None
        assert session.exec(select(Member.organization_id).where(Member.code == "B3")).one()
        assert session.exec(select(func.count()).select_from(Unit)).one() == units_before


def test_a_confirmed_reimport_creates_units_and_restarts_changed_rounds(
    running: Engine, tmp_path: Path
) -> None:
    place(running, "M:A3", "vote", proposed_level=Level.GOOD)
    act(running, vote, ballots={"M:A3": Level.GOOD}, actor_code="A1", now=NOW)
    _summary, impacts = _reimport(running, tmp_path, _changed(MEMBERS), confirm=True)
    assert [i.cycle.code for i in impacts] == ["TT-2026"]
    with Session(running) as session:
        n1 = session.exec(select(Unit).where(Unit.code == "M:N1")).one()
        c1 = session.exec(select(Unit.organization_id).where(Unit.code == "O:C1")).one()
        assert (n1.state, n1.organization_id) == ("plan_issued", c1)
        stages = session.exec(select(StageDeadline.stage).where(StageDeadline.unit_id == n1.id))
        assert sorted(stages) == ["approval", "peer_review", "self_review", "vote"]
        b3 = session.exec(select(Unit).where(Unit.code == "M:B3")).one()
        assert b3.organization_id == c1  # reviewed where B3 now is
        a3 = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        assert a3.vote_round == 2
        assert voters_who_voted(session, a3) == set()  # A1's round-1 ballot is not counted
        assert session.exec(select(SealedRound).where(SealedRound.unit_id == a3.id)).all() == []
        audit = session.exec(
            select(AuditEntry).where(
                AuditEntry.unit_id == a3.id, AuditEntry.trigger == "voters_changed"
            )
        ).one()
        with use_language("en"):
            assert "round 1 restarts as round 2" in worded(audit.reason)
    # N1 is counted in round 2 and votes on it; A1 votes again.
    act(running, vote, ballots={"M:A3": Level.GOOD}, actor_code="N1", now=NOW)
    act(running, vote, ballots={"M:A3": Level.GOOD}, actor_code="A1", now=NOW)


def test_a_reimport_changing_nothing_for_running_cycles_needs_no_confirmation(
    running: Engine, tmp_path: Path
) -> None:
    people = [dict(m) for m in MEMBERS]
    people[2]["email"] = "a3.moi@example.vn"
    _summary, impacts = _reimport(running, tmp_path, people, confirm=False)
    assert impacts == []
