"""One member and their cell through two whole years, every step through the service layer
the CLI and pages call: a suggestion answered, an opinion from the residence cell awaited, the
cell's review first, a secret vote closed by the secretary, approval in order with the
shortcoming recorded, and next year the shortcoming carried over, blocking excellent until it
is remedied."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import ActionRefused, Ballot, Level, Unit, load_settings, session_scope
from models.org_import import import_organizations
from states import (
    advance,
    approve,
    close_vote,
    comment,
    cycle_status,
    give_opinion,
    report_remediation,
    submit_self_review,
    suggest,
    vote,
)
from states.cycles import get_cycle, get_units
from states.remediation import remediation_items
from states.rule_set import SHIPPED
from states.self_review import ShortcomingInput
from tests.factories import MEMBER_HEADER, MEMBERS, ORG_HEADER, ORGS, PLAN, write_csv
from tests.states.helpers import launch_cycle, local, outbox, review_form
from vocabulary import use_language

FIRST, SECOND = "TT-2026", "TT-2027"
G, E = Level.GOOD, Level.EXCELLENT


@pytest.fixture
def world(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The factory district, A3 living in C2's area; qd366 without the cap on excellent, so a
    three-member cell may have one excellent member (the cap has tests of its own)."""
    rules = yaml.safe_load((SHIPPED / "qd366-2025.yaml").read_text(encoding="utf-8"))
    rules.pop("excellent_cap")
    rules["name"] = "qd366-open"
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "qd366-open.yaml").write_text(yaml.safe_dump(rules), "utf-8")
    monkeypatch.setenv("KIEMDIEM_RULE_SETS_DIR", str(tmp_path / "rules"))
    members = [{**m, "residence": "C2" if m["code"] == "A3" else ""} for m in MEMBERS]
    orgs_csv = write_csv(tmp_path / "organizations.csv", ORG_HEADER, ORGS)
    members_csv = write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "residence"], members)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    return engine


def _do(engine: Engine, action: Callable[..., Any], cycle: str, **kwargs: Any) -> Any:
    with session_scope(engine) as session:
        return action(session=session, cycle_code=cycle, **kwargs)


def _tick(engine: Engine, cycle: str, now: datetime) -> dict[str, int]:
    with session_scope(engine) as session:
        return advance(session=session, cycle=get_cycle(session, cycle), now=now)


def _state(engine: Engine, cycle: str, code: str) -> str:
    with Session(engine) as session:
        return get_units(session, get_cycle(session, cycle), [code])[0].state


def _refused(engine: Engine, action: Callable[..., Any], cycle: str, **kwargs: Any) -> str:
    with pytest.raises(ActionRefused) as refused:
        _do(engine, action, cycle, **kwargs)
    with use_language("en"):  # the test reads the refusal's English words
        return str(refused.value)


def _year(engine: Engine, folder: Path, code: str, year: int, **plan: Any) -> datetime:
    def shifted(dates: dict[str, str]) -> dict[str, str]:
        return {stage: day.replace("2026", str(year)) for stage, day in dates.items()}

    folder.mkdir()
    launched = local(f"{year}-11-10 08:00")
    launch_cycle(
        engine,
        folder,
        launched,
        code=code,
        rule_set="qd366-open",
        inspection_commission=["B4"],
        due=shifted(PLAN["due"]),
        pilots={"organizations": ["G1"], "due": shifted(PLAN["pilots"]["due"])},
        **plan,
    )
    _tick(engine, code, launched)
    return launched


def _to_approval(engine: Engine, cycle: str, now: datetime, level: Level, **form: Any) -> None:
    """The cell's review, then A3's (answering what `form` answers), the residence opinion,
    comments, secret votes and the secretaries closing them."""
    _do(
        engine,
        submit_self_review,
        cycle,
        unit_code="O:C1",
        actor_code="A1",
        now=now,
        **review_form(G),
    )
    _do(
        engine,
        submit_self_review,
        cycle,
        unit_code="M:A3",
        actor_code="A3",
        now=now,
        **review_form(level, **form),
    )
    _do(engine, comment, cycle, unit_codes=["M:A3"], actor_code="A1", now=now, text="Đồng ý.")
    _do(engine, comment, cycle, unit_codes=["O:C1"], actor_code="A3", now=now, text="Đồng ý.")
    assert _tick(engine, cycle, now)["open_vote"] == 1  # A3 waits for C2's opinion
    _do(
        engine,
        give_opinion,
        cycle,
        unit_code="M:A3",
        source="residence:C2",
        actor_code="B1",
        now=now,
        text="Gương mẫu tại nơi cư trú.",
    )
    assert _tick(engine, cycle, now)["open_vote"] == 1
    for voter in ("A1", "A2"):  # C1's members but A3; G1's committee for the cell
        _do(engine, vote, cycle, ballots={"M:A3": level, "O:C1": G}, actor_code=voter, now=now)
    _do(engine, close_vote, cycle, unit_codes=["M:A3"], actor_code="A1", now=now)
    _do(engine, close_vote, cycle, unit_codes=["O:C1"], actor_code="A2", now=now)
    assert _state(engine, cycle, "M:A3") == _state(engine, cycle, "O:C1") == "approval"


def test_two_years_of_one_member(world: Engine, tmp_path: Path) -> None:
    now = _year(world, tmp_path / "2026", FIRST, 2026)
    _do(
        world,
        suggest,
        FIRST,
        unit_codes=["M:A3"],
        actor_code="B4",
        now=now,
        text="Làm rõ việc chậm nộp đảng phí.",
        role="inspection",
        settings=load_settings(),
    )
    # The suggestion must be answered; the refusal names it.
    message = _refused(
        world,
        submit_self_review,
        FIRST,
        unit_code="M:A3",
        actor_code="A3",
        now=now,
        **review_form(G),
    )
    assert "has no answer" in message and "Làm rõ việc chậm nộp đảng phí." in message
    [number] = [int(w[1:]) for w in message.split() if w.startswith("#") and w[1:].isdigit()]
    late = ShortcomingInput("Chậm nộp đảng phí.", cause="Chủ quan.")
    _to_approval(world, FIRST, now, G, answers={number: "Đã nộp đủ."}, shortcomings=[late])
    with Session(world) as session:  # the secret ballot kept no ballots
        assert session.exec(select(Ballot)).all() == []
    # A member is decided after the cell: alone it is refused, with the cell it passes.
    assert "M:A3: waits for O:C1 (" in _refused(
        world, approve, FIRST, unit_codes=["M:A3"], actor_code="A2", now=now
    )
    _do(world, approve, FIRST, unit_codes=["O:C1", "M:A3"], actor_code="A2", now=now)
    _tick(world, FIRST, now)
    assert _state(world, FIRST, "M:A3") == "remediation"
    with Session(world) as session:
        [item] = remediation_items(session, FIRST, unit_code="M:A3")
    assert (item["text"], item["owner"], item["status"]) == ("Chậm nộp đảng phí.", "A3", "open")
    # A3's published result says what is to be remedied, and by when.
    [told] = [m for m in outbox(world, "published") if m.recipient == "a3@example.vn"]
    assert "Hoàn thành tốt nhiệm vụ" in told.body_text
    assert f"(hạn {item['due_local']}): Chậm nộp đảng phí." in told.body_text

    # Next year: the shortcoming is carried over, must be answered, and blocks excellent.
    now = _year(world, tmp_path / "2027", SECOND, 2027, previous_cycle=FIRST)
    message = _refused(
        world,
        submit_self_review,
        SECOND,
        unit_code="M:A3",
        actor_code="A3",
        now=now,
        **review_form(E),
    )
    assert f"carried-over shortcoming #{item['id']} ('Chậm nộp đảng phí.', open)" in message
    _to_approval(world, SECOND, now, E, carried={item["id"]: "Đã nộp đủ, đúng hạn từ quý II."})
    message = _refused(
        world, approve, SECOND, unit_codes=["O:C1", "M:A3"], actor_code="A2", now=now
    )
    assert (
        "M:A3: cannot be rated Excellently completed duties: shortcomings from earlier cycles "
        "are not remedied" in message
    )
    assert _state(world, SECOND, "M:A3") == "approval"
    with session_scope(world) as session:
        report_remediation(
            session=session,
            shortcoming_id=item["id"],
            actor_code="A3",
            now=now,
            note="Biên lai nộp đủ 12 tháng.",
            remedied=True,
        )
    _do(world, approve, SECOND, unit_codes=["O:C1", "M:A3"], actor_code="A2", now=now)
    with Session(world) as session:
        units = session.exec(select(Unit).where(Unit.code == "M:A3")).all()
    assert sorted((u.cycle_id, u.final_level) for u in units) == [(1, G), (2, E)]
    # Last year's unit closes now that its one shortcoming is remedied.
    assert _tick(world, FIRST, now)["finish_remediation"] == 1
    with Session(world) as session:
        process = cycle_status(session=session, cycle=get_cycle(session, FIRST), now=now)
    assert process["process"] == {
        "suggestions": 1,
        "opinions": {"awaited": 0, "given": 1, "missing": 0},
        "revotes": 0,
        "final_levels": {"excellent": 0, "good": 2, "completed": 0, "not_completed": 0},
        "shortcomings": {
            "open": 0,
            "in_progress": 0,
            "remedied": 1,
            "overdue": 0,
            "recurred": 0,
        },
    }
