"""Opinions a peer review waits for: asked on submission, given by whoever speaks for the
source, or recorded missing once the peer review's due time has passed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import ActionRefused, Opinion, Unit, session_scope
from models.org_import import import_organizations
from states import comment, submit_self_review
from states.peer_review import give_opinion
from tests.factories import MEMBER_HEADER, MEMBERS, ORGS, write_csv
from tests.states.helpers import act, launch_cycle, local, outbox, review_form, snapshot, state
from tests.states.helpers import tick as tick_

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")

LAUNCH = local("2026-11-10 08:00")
# G1's units are pilots: their peer review is due by the end of 23 Nov.
PEER_REVIEW_DUE = local("2026-11-24 00:00")
OFFICE = {
    "code": "VP",
    "name": "Văn phòng Huyện ủy",
    "email": "vp@example.vn",
    "organizations": ["G1"],
}


@pytest.fixture
def residents(engine: Engine, tmp_path: Path) -> Engine:
    """The factory district where A3 (cell C1) lives in C2's area and B3 in C2's own."""
    living = {"A3": "C2", "B3": "C2"}
    members = [{**m, "residence": living.get(m["code"], "")} for m in MEMBERS]
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=write_csv(tmp_path / "organizations.csv", list(ORGS[0]), ORGS),
            members_csv=write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "residence"], members),
        )
    return engine


def _launch(engine: Engine, tmp_path: Path, **plan: Any) -> Engine:
    launch_cycle(engine, tmp_path, LAUNCH, **plan)
    tick_(engine, LAUNCH)
    return engine


@pytest.fixture
def cycle(residents: Engine, tmp_path: Path) -> Engine:
    return _launch(residents, tmp_path, opinions={"offices": [OFFICE]})


def tick(engine: Engine, now: Any = LAUNCH) -> dict[str, int]:
    return tick_(engine, now)[0]


def _submit(engine: Engine, unit: str, actor: str) -> None:
    act(engine, submit_self_review, unit_code=unit, actor_code=actor, now=LAUNCH, **review_form())


def _comment(engine: Engine, unit: str, actor: str) -> None:
    act(engine, comment, unit_codes=[unit], actor_code=actor, now=LAUNCH, text="Nhất trí.")


def _give(engine: Engine, unit: str, source: str, actor: str, text: str = "Gương mẫu.") -> Any:
    return act(
        engine,
        give_opinion,
        unit_code=unit,
        source=source,
        actor_code=actor,
        now=LAUNCH,
        text=text,
    )


def _opinions(engine: Engine) -> list[tuple[Any, ...]]:
    with Session(engine) as session:
        rows = session.exec(
            select(Unit.code, Opinion)
            .join(Unit, col(Unit.id) == col(Opinion.unit_id))
            .order_by(col(Opinion.id))
        ).all()
    return [(code, o.source, o.due_at, o.given_by, o.text, o.missing) for code, o in rows]


def _to_peer_review(engine: Engine, unit: str, actor: str) -> None:
    """Submit the unit's collective first (the individual's review rests on it), then it."""
    collective = ("T:G1", "A2") if unit.startswith("L:") else ("O:C1", "A1")
    _submit(engine, *collective)
    _submit(engine, unit, actor)


def test_a_members_residence_cell_is_asked_on_submission(cycle: Engine) -> None:
    _to_peer_review(cycle, "M:A3", "A3")
    assert _opinions(cycle) == [("M:A3", "residence:C2", PEER_REVIEW_DUE, None, None, False)]
    assert outbox(cycle, "opinion_request") == []  # the next tick asks, in one digest
    tick(cycle)
    (mail,) = outbox(cycle, "opinion_request")
    assert mail.recipient == "bt.c2@example.vn"
    assert mail.key.startswith("opinions:TT-2026:bt.c2@example.vn:tick-")
    assert "Nguyễn Văn A3" in mail.body_text and "23/11/2026" in mail.body_text
    # B3 lives where its own cell is: that cell reviews it anyway, nobody else is asked.
    _submit(cycle, "O:C2", "B1")
    _submit(cycle, "M:B3", "B3")
    assert [row[0] for row in _opinions(cycle)] == ["M:A3"]


def test_a_leader_is_reviewed_by_the_offices_that_cover_it(cycle: Engine) -> None:
    _to_peer_review(cycle, "L:A2", "A2")  # leads G1, which the office covers
    _submit(cycle, "L:A1", "A1")  # leads C1, under G1
    _submit(cycle, "O:G2", "B2")
    _submit(cycle, "L:B2", "B2")  # leads G2: not covered
    assert [(c, s) for c, s, *_ in _opinions(cycle)] == [
        ("L:A2", "office:VP"),
        ("L:A1", "office:VP"),
    ]
    tick(cycle)
    # One digest per recipient per tick, listing both leaders; a second tick asks nobody again.
    (mail,) = outbox(cycle, "opinion_request")
    assert mail.recipient == "vp@example.vn"
    assert "L:A1" in mail.body_text and "L:A2" in mail.body_text
    tick(cycle)
    assert len(outbox(cycle, "opinion_request")) == 1


def test_the_vote_waits_for_the_opinion_and_opens_once_it_is_given(cycle: Engine) -> None:
    _to_peer_review(cycle, "M:A3", "A3")
    _comment(cycle, "M:A3", "A1")
    assert tick(cycle)["open_vote"] == 0  # commented, but the residence cell is awaited
    assert state(cycle, "M:A3") == "peer_review"
    _give(cycle, "M:A3", "residence:C2", "B1")  # B1 heads C2
    assert _opinions(cycle) == [
        ("M:A3", "residence:C2", PEER_REVIEW_DUE, "B1", "Gương mẫu.", False)
    ]
    moved = tick(cycle)
    assert moved["open_vote"] == 1 and moved["opinions_missing"] == 0
    assert state(cycle, "M:A3") == "vote"


def test_an_opinion_not_given_by_its_due_time_is_recorded_missing(cycle: Engine) -> None:
    _to_peer_review(cycle, "L:A2", "A2")
    _comment(cycle, "L:A2", "A1")
    assert tick(cycle, local("2026-11-23 23:00"))["opinions_missing"] == 0
    assert state(cycle, "L:A2") == "peer_review"
    moved = tick(cycle, local("2026-11-24 08:00"))
    assert moved["opinions_missing"] == 1 and state(cycle, "L:A2") == "vote"
    assert _opinions(cycle)[0][-1] is True
    assert tick(cycle, local("2026-11-25 08:00"))["opinions_missing"] == 0


def test_residence_opinions_can_be_turned_off(residents: Engine, tmp_path: Path) -> None:
    engine = _launch(residents, tmp_path, opinions={"residence": False})
    _to_peer_review(engine, "M:A3", "A3")
    assert _opinions(engine) == [] and outbox(engine, "opinion_request") == []
    _comment(engine, "M:A3", "A1")
    tick(engine)
    assert state(engine, "M:A3") == "vote"


@pytest.mark.parametrize(
    ("unit", "source", "actor", "message"),
    [
        (
            "M:A3",
            "residence:C2",
            "A1",
            "M:A3: A1 (Nguyễn Văn A1) speaks for none of the opinions awaited (the residence "
            "cell C2)",
        ),
        (
            "M:A3",
            "residence:C2",
            "E1",
            "M:A3: E1 (Nguyễn Văn E1) speaks for none of the opinions awaited",
        ),
        (
            "M:A3",
            "office:VP",
            "B2",
            "M:A3: no opinion of the office VP was requested for this unit; opinions awaited for "
            "it: the residence cell C2 (--from)",
        ),
        (
            "L:A2",
            "office:VP",
            "A1",
            "L:A2: A1 (Nguyễn Văn A1) speaks for none of the opinions awaited (the office VP)",
        ),
        (
            "L:A2",
            "residence:C2",
            "B4",
            "L:A2: no opinion of the residence cell C2 was requested for this unit; opinions "
            "awaited for it: the office VP (--from)",
        ),
    ],
)
def test_give_opinion_is_refused_for_the_wrong_person_or_source(
    cycle: Engine, unit: str, source: str, actor: str, message: str
) -> None:
    _to_peer_review(cycle, "M:A3", "A3")
    _submit(cycle, "L:A2", "A2")
    before = snapshot(cycle), _opinions(cycle)
    with pytest.raises(ActionRefused) as refused:
        _give(cycle, unit, source, actor)
    assert message in str(refused.value)
    assert str(refused.value).endswith("Nothing was changed.")
    assert (snapshot(cycle), _opinions(cycle)) == before


def test_who_speaks_for_each_source(cycle: Engine) -> None:
    _to_peer_review(cycle, "M:A3", "A3")
    _submit(cycle, "L:A2", "A2")
    _submit(cycle, "L:A1", "A1")
    _give(cycle, "M:A3", "residence:C2", "B2")  # heads G2, above the residence cell
    _give(cycle, "L:A2", "office:VP", "B4")  # heads D, whose office compiles them
    _give(cycle, "L:A1", "office:VP", "A2")  # heads G1, L:A1's approving committee
    assert [(c, by) for c, _, _, by, *_ in _opinions(cycle)] == [
        ("M:A3", "B2"),
        ("L:A2", "B4"),
        ("L:A1", "A2"),
    ]
    before = _opinions(cycle)
    with pytest.raises(ActionRefused) as refused:
        _give(cycle, "M:A3", "residence:C2", "B1", text="Lần hai.")
    assert (
        "M:A3: the opinion of the residence cell C2 has already been given; opinions still "
        "awaited for this unit: none (--from)" in str(refused.value)
    )
    with pytest.raises(ActionRefused, match="an opinion needs text"):
        _give(cycle, "L:A1", "office:VP", "A2", text=" ")
    assert _opinions(cycle) == before


def test_asking_again_asks_nobody_twice(cycle: Engine) -> None:
    from models import load_settings
    from states.cycles import get_cycle
    from states.peer_review import request_opinions

    _to_peer_review(cycle, "M:A3", "A3")
    with session_scope(cycle) as session:
        units = session.exec(select(Unit).where(Unit.code == "M:A3")).all()
        again = request_opinions(
            session, get_cycle(session, "TT-2026"), units, LAUNCH, settings=load_settings()
        )
    assert again == 0 and len(_opinions(cycle)) == 1
    tick(cycle)
    tick(cycle)
    assert len(outbox(cycle, "opinion_request")) == 1


def _import(engine: Engine, tmp_path: Path, orgs: list[dict[str, str]]) -> Engine:
    living = {"A3": "C2", "B3": "C2"}
    members = [{**m, "residence": living.get(m["code"], "")} for m in MEMBERS]
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=write_csv(tmp_path / "organizations.csv", list(ORGS[0]), orgs),
            members_csv=write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "residence"], members),
        )
    return engine


def test_a_residence_cell_is_asked_itself_not_the_committee_above(
    engine: Engine, tmp_path: Path
) -> None:
    # C2 keeps no secretary address, only its own: the request goes to C2, not to G2's secretary.
    orgs = [{**o, "secretary_email": ""} if o["code"] == "C2" else o for o in ORGS]
    _launch(_import(engine, tmp_path, orgs), tmp_path)
    _submit(engine, "M:A3", "A3")
    tick(engine)
    (request,) = outbox(engine, "opinion_request")
    assert request.recipient == "c2@example.vn" and "M:A3" in request.body_text


def test_an_office_reached_through_its_contact_who_gives_its_opinion(
    residents: Engine, tmp_path: Path
) -> None:
    office = {"code": "VP", "name": "Văn phòng", "contact": "B3", "organizations": ["G1"]}
    _launch(residents, tmp_path, opinions={"offices": [office]})
    _submit(residents, "L:A1", "A1")
    tick(residents)
    (request,) = outbox(residents, "opinion_request")
    assert request.recipient == "b3@example.vn" and "L:A1" in request.body_text
    _give(residents, "L:A1", "office:VP", "B3")
    with Session(residents) as session:
        (given,) = session.exec(select(Opinion)).all()
    assert given.given_by == "B3" and given.received_at is not None


def test_no_request_is_sent_once_the_opinion_is_already_due(
    residents: Engine, tmp_path: Path
) -> None:
    _launch(residents, tmp_path)
    late = local("2026-11-25 09:00")  # A3's peer review (the pilot G1's) was due by 23 Nov
    act(residents, submit_self_review, unit_code="M:A3", actor_code="A3", now=late, **review_form())
    tick(residents, late)
    assert outbox(residents, "opinion_request") == []
    with Session(residents) as session:
        (opinion,) = session.exec(select(Opinion)).all()
    assert opinion.missing is True


def test_quiet_hours_never_hold_a_request_past_its_due_time(
    residents: Engine, tmp_path: Path
) -> None:
    _launch(residents, tmp_path, quiet_hours={"start": "21:00", "end": "06:00"})
    at = local("2026-11-23 22:00")  # two hours before the peer review is due, in quiet hours
    act(residents, submit_self_review, unit_code="M:A3", actor_code="A3", now=at, **review_form())
    tick(residents, at)
    (request,) = outbox(residents, "opinion_request")
    assert request.next_attempt_at <= PEER_REVIEW_DUE  # not held until 06:00 on 24 Nov


def test_an_opinion_given_before_the_tick_is_never_asked_for(cycle: Engine) -> None:
    _to_peer_review(cycle, "M:A3", "A3")
    _give(cycle, "M:A3", "residence:C2", "B1")  # B1 heads C2
    tick(cycle)
    assert outbox(cycle, "opinion_request") == []
