"""The pages' views on a real SQLite file: what the secretary, a voter, the approving
committee, a dashboard's watcher and a shortcoming's owner are shown, and who is refused."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import ActionRefused, Level, Member, Shortcoming, Unit, session_scope
from models.org_import import import_organizations
from models.remediation import RemediationStatus
from states import close_vote, submit_self_review, vote
from states.views import (
    approval_view,
    ballot_view,
    dashboard,
    meeting_view,
    open_vote,
    opinions_to_give,
    record_comment,
    remediation_view,
    suggestion_view,
    unit_history,
)
from tests.factories import MEMBER_HEADER, MEMBERS, member, write_csv, write_district
from tests.states.helpers import CYCLE, act, launch_cycle, local, place, review_form, state, tick
from vocabulary.refusals import word

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

LAUNCH = local("2026-11-10 08:00")
NOW = local("2026-11-12 09:00")
E, G, C = Level.EXCELLENT, Level.GOOD, Level.COMPLETED


@pytest.fixture
def cycle(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH, inspection_commission=["PP"])
    tick(district, LAUNCH)
    return district


def _view(engine: Engine, view, *args, **kwargs):  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return view(session, CYCLE, *args, **kwargs)


def _refusal(engine: Engine, view, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ActionRefused) as refused:
        _view(engine, view, *args, **kwargs)
    return str(refused.value)


def _in_peer_review(engine: Engine) -> None:
    """C2 reviews itself, then B3: B3's meeting is in the peer review, run by B1."""
    act(engine, submit_self_review, unit_code="O:C2", actor_code="B1", now=NOW, **review_form())
    act(engine, submit_self_review, unit_code="M:B3", actor_code="B3", now=NOW, **review_form())


def test_the_secretary_runs_the_meeting_and_sees_who_voted_never_how(
    cycle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    _in_peer_review(cycle)
    meeting = _view(cycle, meeting_view, "M:B3", "B1")
    assert meeting.state == "peer_review" and meeting.ballot == "secret"
    assert [v.code for v in meeting.roll] == ["B1", "B2", "B4"]
    assert not any(v.voted for v in meeting.roll)
    assert meeting.actions == ["comment", "open_vote"]
    # Neither the unit's subject nor another cell's secretary runs this meeting.
    assert "cannot close the vote on their own review" in _refusal(
        cycle, meeting_view, "M:B3", "B3"
    )
    assert "does not run this vote" in _refusal(cycle, meeting_view, "M:B3", "A1")

    with pytest.raises(ActionRefused) as early:
        act(cycle, open_vote, unit_codes=["M:B3"], actor_code="B1", now=NOW)
    assert "has not recorded a comment" in str(early.value)
    with pytest.raises(ActionRefused):  # only the secretary records what others said
        act(
            cycle,
            record_comment,
            unit_code="M:B3",
            actor_code="A1",
            speaker_code="B2",
            now=NOW,
            text="x",
        )
    act(
        cycle,
        record_comment,
        unit_code="M:B3",
        actor_code="B1",
        speaker_code="B2",
        now=NOW,
        text="<b>Đồng chí</b> cần chủ động hơn.",
    )
    meeting = _view(cycle, meeting_view, "M:B3", "B1")
    assert [(c.author_code, c.text) for c in meeting.comments] == [
        ("B2", "<b>Đồng chí</b> cần chủ động hơn.")
    ]
    act(cycle, open_vote, unit_codes=["M:B3"], actor_code="B1", now=NOW)
    assert state(cycle, "M:B3") == "vote"

    # The ballot: the eligible may vote once; the subject and another cell may not.
    assert _view(cycle, ballot_view, "M:B3", "B2").may_vote
    subject = _view(cycle, ballot_view, "M:B3", "B3")
    assert not subject.may_vote and "not an eligible voter" in word(subject.refusals[0])
    assert not _view(cycle, ballot_view, "M:B3", "A1").may_vote
    act(cycle, vote, ballots={"M:B3": G}, actor_code="B2", now=NOW)
    act(cycle, vote, ballots={"M:B3": G}, actor_code="B4", now=NOW)
    again = _view(cycle, ballot_view, "M:B3", "B2")
    assert again.already_voted and not again.may_vote and not again.refusals

    meeting = _view(cycle, meeting_view, "M:B3", "B1")
    assert [(v.code, v.voted) for v in meeting.roll] == [("B1", False), ("B2", True), ("B4", True)]
    assert meeting.voted == 2 and meeting.closed_rounds == []  # no count while it is open
    assert meeting.actions == ["close_vote"]
    act(cycle, close_vote, unit_codes=["M:B3"], actor_code="B1", now=NOW)
    closed = _view(cycle, meeting_view, "M:B3", "B1")
    assert closed.state == "approval"
    assert [(r.round, r.counts[G]) for r in closed.closed_rounds] == [(1, 2)]


@pytest.fixture
def crowded(engine: Engine, tmp_path: Path) -> Engine:
    """The factory district with 40 more members in C1 (G1's member group)."""
    extra = [member(f"A{i}", "C1") for i in range(4, 44)]
    orgs_csv, members_csv = write_district(tmp_path, members=MEMBERS + extra)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch_cycle(engine, tmp_path, LAUNCH)
    place(engine, "O:C1", "published", proposed_level=G, final_level=G, score=80)
    return engine


def _awaiting(engine: Engine, levels: dict[str, Level]) -> None:
    for code, level in levels.items():
        place(engine, code, "approval", proposed_level=level, score=95 if level is E else 80)


def test_the_desk_shows_the_cap_and_every_broken_rule_live(
    crowded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    _awaiting(crowded, {"M:A3": G, "M:A4": G, "M:A5": G, "M:A6": G, "M:A7": E, "M:A8": E})
    desk = _view(crowded, approval_view, "G1", "A2")
    assert [u.code for u in desk.units] == [f"M:A{i}" for i in range(3, 9)]
    assert [(c.excellent, c.good, c.limit, c.ok) for c in desk.caps] == [(2, 4, 0, False)]
    assert [word(p)[:35] for p in desk.problems] == ["cap on excellent (qd366-2025): in m"]
    assert "2 excellent would exceed 20% of 4 good (at most 0)" in word(desk.problems[0])
    # Lowering one without a reason: the cap still breaks and the reason is asked for.
    lowered = _view(crowded, approval_view, "G1", "A2", decisions={"M:A8": G})
    assert [(c.excellent, c.good, c.limit) for c in lowered.caps] == [(1, 5, 1)]
    assert ["lowering excellent to good needs" in word(p) for p in lowered.problems] == [True]
    reasoned = _view(crowded, approval_view, "G1", "A2", decisions={"M:A8": G}, reason="Lý do")
    assert reasoned.problems == [] and reasoned.caps[0].ok
    # Raising is refused beside the unit; someone off the committee gets no desk at all.
    raised = _view(crowded, approval_view, "G1", "A2", decisions={"M:A3": E})
    assert any("raising good to excellent" in word(p) for p in raised.problems)
    assert "does not head G1" in _refusal(crowded, approval_view, "G1", "A1")


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_desk_reads_forty_units_with_the_queries_of_four(crowded: Engine) -> None:
    _awaiting(crowded, {"M:A4": G, "M:A5": G, "M:A6": G, "M:A7": E})
    with _statements(crowded) as few:
        assert len(_view(crowded, approval_view, "G1", "A2").units) == 4
    _awaiting(crowded, {f"M:A{i}": G if i % 6 else E for i in range(8, 44)})
    with _statements(crowded) as many:
        assert len(_view(crowded, approval_view, "G1", "A2").units) == 40
    assert len(many) == len(few)


def test_the_dashboard_is_scoped_and_names_the_ladder_step(
    cycle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    late = local("2026-11-22 08:00")  # the pilot G1's self-reviews were due by 20 Nov
    tick(cycle, late)
    office = _view(cycle, dashboard, late, member_code="B4")  # B4 heads D, the launching committee
    assert office.scope.whole_cycle and office.units > 10
    assert office.stages[0].stage == "self_review" and office.stages[0].overdue > 0
    g1 = next(o for o in office.overdue if o.code == "G1")
    a1 = next(u for u in g1.units if u.code == "M:A1")
    assert a1.stage == "self_review" and a1.days_late == 2 and a1.step == 2
    head = _view(cycle, dashboard, late, member_code="B2")  # B2 heads G2: only G2's units
    assert not head.scope.whole_cycle and [r.code for r in head.scope.roots] == ["G2"]
    assert head.units < office.units and all(o.code == "G2" for o in head.overdue)
    assert "has no dashboard" in _refusal(cycle, dashboard, late, member_code="B3")
    history = _view(cycle, unit_history, "M:A1", office_of="D")
    assert [(h.actor, h.trigger, h.to_state) for h in history] == [("tick", "start", "self_review")]
    assert "does not follow" in _refusal(cycle, unit_history, "M:A1", member_code="B2")
    # The district's office watches the whole cycle; a grassroots office its own subtree.
    assert _view(cycle, dashboard, late, office_of="D").units == office.units
    assert _view(cycle, dashboard, late, office_of="G2").units == head.units


def test_owners_see_their_shortcomings_and_the_commission_supervises_all(cycle: Engine) -> None:
    with session_scope(cycle) as session:
        units = {u.code: u for u in session.exec(select(Unit))}
        a3 = session.exec(select(Member).where(Member.code == "A3")).one()
        for code, owner in (("M:A3", a3.id), ("O:C2", None)):
            session.add(
                Shortcoming(
                    cycle_id=units[code].cycle_id,
                    unit_id=units[code].id,
                    unit_code=code,
                    source="self_review",
                    text=f"Hạn chế của {code}",
                    owner_id=owner,
                    recorded_at=NOW,
                    status=RemediationStatus.OPEN,
                )
            )
    mine = _view(cycle, remediation_view, "A3")
    assert [(i.unit, i.may_report, i.may_supervise) for i in mine.owned] == [("M:A3", True, False)]
    assert not mine.supervisor and mine.supervised == []
    head = _view(cycle, remediation_view, "B1")  # heads C2: reports on C2's unowned item
    assert [i.unit for i in head.owned] == ["O:C2"]
    assert _view(cycle, remediation_view, "E2").owned == []
    commission = _view(cycle, remediation_view, "PP")
    assert commission.supervisor and [i.unit for i in commission.supervised] == ["M:A3", "O:C2"]
    # PP heads the province, above C2: the head of a collective above may report on it too.
    assert [(i.may_supervise, i.may_report) for i in commission.supervised] == [
        (True, False),
        (True, True),
    ]


@pytest.fixture
def residents(engine: Engine, tmp_path: Path) -> Engine:
    """B3 lives in C3's area: B3's peer review waits for C3's opinion (E1 heads C3)."""
    rows = [{**m, "residence": "C3" if m["code"] == "B3" else ""} for m in MEMBERS]
    orgs_csv, _ = write_district(tmp_path)
    members_csv = write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "residence"], rows)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch_cycle(engine, tmp_path, LAUNCH)
    tick(engine, LAUNCH)
    return engine


def test_opinions_to_give_are_those_the_person_speaks_for(residents: Engine) -> None:
    _in_peer_review(residents)
    asks = _view(residents, opinions_to_give, "E1")
    assert [(a.unit, a.source, a.source_name) for a in asks] == [
        ("M:B3", "residence:C3", "Chi bộ thôn 3")
    ]
    assert _view(residents, opinions_to_give, "E1", "M:B3") == asks
    assert _view(residents, opinions_to_give, "A1") == []  # heads C1, not C3
    # The meeting shows it awaited, and the vote cannot open until it is given.
    meeting = _view(residents, meeting_view, "M:B3", "B1")
    assert [(o.source, o.status) for o in meeting.opinions] == [("residence:C3", "awaited")]
    assert "opinion" in meeting.actions


def test_suggestions_are_written_by_the_committee_above_only(cycle: Engine) -> None:
    view = _view(cycle, suggestion_view, "M:A3", "A2")  # A2 heads G1, which approves C1's
    assert view.roles == ["committee"] and view.given == []
    assert _view(cycle, suggestion_view, "M:A3", "PP").roles == ["committee", "inspection"]
    with pytest.raises(ActionRefused):
        _view(cycle, suggestion_view, "M:A3", "A3")  # not to one's own review
    with pytest.raises(ActionRefused):
        _view(cycle, suggestion_view, "M:A3", "B1")


def test_a_split_vote_closes_into_a_revote_with_a_fresh_roll(cycle: Engine) -> None:
    _in_peer_review(cycle)
    act(
        cycle,
        record_comment,
        unit_code="M:B3",
        actor_code="B1",
        speaker_code="B1",
        now=NOW,
        text="Nhất trí.",
    )
    act(cycle, open_vote, unit_codes=["M:B3"], actor_code="B1", now=NOW)
    for voter, level in (("B1", E), ("B2", G), ("B4", C)):
        act(cycle, vote, ballots={"M:B3": level}, actor_code=voter, now=NOW)
    act(cycle, close_vote, unit_codes=["M:B3"], actor_code="B1", now=NOW)
    meeting = _view(cycle, meeting_view, "M:B3", "B1")
    assert (meeting.state, meeting.round, meeting.voted) == ("vote", 2, 0)
    assert [(r.round, r.counts[E], r.counts[G], r.counts[C]) for r in meeting.closed_rounds] == [
        (1, 1, 1, 1)
    ]
    assert _view(cycle, ballot_view, "M:B3", "B2").may_vote  # everyone votes again


def test_a_directing_teams_lead_watches_the_teams_organizations(
    district: Engine, tmp_path: Path
) -> None:
    team = {"code": "TCD-1", "name": "Tổ chỉ đạo số 1", "lead": "B3", "organizations": ["G1"]}
    launch_cycle(district, tmp_path, LAUNCH, directing_teams=[team])
    tick(district, LAUNCH)
    board = _view(district, dashboard, NOW, member_code="B3")  # B3 heads nothing
    assert board.scope.label == "team:TCD-1" and [r.code for r in board.scope.roots] == ["G1"]
    with Session(district) as session:
        in_g1 = len(
            [
                u
                for u in session.exec(select(Unit))
                if u.code.split(":")[1] in {"G1", "C1", "A1", "A2", "A3"}
            ]
        )
    assert board.units == in_g1


def test_the_dashboard_forecasts_who_will_miss_the_due_day(cycle: Engine) -> None:
    from states.views.dashboard import at_risk_view

    # 19 Nov: G1's pilots are due tomorrow and nobody has submitted a self-review.
    soon = local("2026-11-19 09:00")
    board = _view(cycle, dashboard, soon, member_code="B4")
    risky = _view(cycle, lambda s, c: at_risk_view(s, board.scope, c, soon))
    assert ("G1", "self_review") in {(r.organization, r.stage) for r in risky}
    head = _view(cycle, dashboard, soon, member_code="B2")  # G2 only: G1 is not shown
    assert all(
        r.organization != "G1"
        for r in _view(cycle, lambda s, c: at_risk_view(s, head.scope, c, soon))
    )
