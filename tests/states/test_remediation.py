"""Shortcomings recorded at approval, their owners and remediation, carried into next year."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import (
    ActionRefused,
    Escalation,
    Level,
    RemediationNote,
    RemediationStatus,
    Shortcoming,
    StageDeadline,
    Unit,
    session_scope,
)
from states import advance, approve, submit_self_review
from states.cycles import get_cycle, get_member, get_units
from states.remediation import (
    assign_shortcomings,
    carried_over,
    record_shortcomings,
    remediation_items,
    report_remediation,
    supervise,
    unremedied_earlier,
)
from states.rule_set import SHIPPED
from states.self_review import ShortcomingInput
from tests.factories import PLAN
from tests.states.helpers import (
    CYCLE,
    launch_cycle,
    local,
    outbox,
    review_form,
    snapshot,
    tick,
)

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")

LAUNCH = local("2026-11-10 08:00")
APPROVED = local("2026-11-27 10:00")
# remediation_days 30 after 27 Nov: due by the end of 27 Dec, local time.
DUE = local("2026-12-28 00:00")
NEXT = "TT-2027"
NEXT_LAUNCH = local("2027-11-10 08:00")
R = RemediationStatus


@pytest.fixture
def cycle(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH, inspection_commission=["B4"], remediation_days=30)
    tick(district, LAUNCH)  # every unit now in self-review
    return district


def _submit(
    engine: Engine,
    unit: str,
    actor: str,
    *shortcomings: ShortcomingInput,
    cycle_code: str = CYCLE,
    level: Level = Level.GOOD,
    now: Any = LAUNCH,
    carried: dict[int, str] | None = None,
) -> None:
    """Submit a complete self-review; `carried` answers last year's shortcomings."""
    form = review_form(level, shortcomings=list(shortcomings), carried=carried or {})
    with session_scope(engine) as session:
        submit_self_review(
            session=session,
            cycle_code=cycle_code,
            unit_code=unit,
            actor_code=actor,
            now=now,
            **form,
        )


def _place(engine: Engine, code: str, state: str, cycle_code: str = CYCLE, **values: Any) -> None:
    """Arrange a unit of a given cycle in a state (tests.states.helpers.place knows one cycle)."""
    with session_scope(engine) as session:
        unit = get_units(session, get_cycle(session, cycle_code), [code])[0]
        unit.state = state
        for name, value in values.items():
            setattr(unit, name, value)
        session.add(unit)


def _state(engine: Engine, code: str, cycle_code: str = CYCLE) -> str:
    with Session(engine) as session:
        return get_units(session, get_cycle(session, cycle_code), [code])[0].state


def _approve(
    engine: Engine,
    codes: list[str],
    *,
    cycle_code: str = CYCLE,
    now: Any = APPROVED,
    conclusions: tuple[str, ...] = (),
    level: Level = Level.GOOD,
) -> None:
    """Place the units in approval with `level` proposed, then the committee (A2) decides."""
    for code in codes:
        score = 92 if level is Level.EXCELLENT else 80
        _place(engine, code, "approval", cycle_code, proposed_level=level, score=score)
    with session_scope(engine) as session:
        approve(
            session=session,
            cycle_code=cycle_code,
            unit_codes=codes,
            actor_code="A2",
            now=now,
            conclusions=conclusions,
        )


def _items(engine: Engine, cycle_code: str = CYCLE, **filters: Any) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return remediation_items(session, cycle_code, **filters)


def _rows(engine: Engine) -> list[tuple[Any, ...]]:
    """Every shortcoming and note, to show a refused action wrote nothing."""
    with Session(engine) as session:
        return [
            *(
                (s.id, s.owner_id, s.split_from_id, s.status, s.due_at, s.remedied_at)
                for s in session.exec(select(Shortcoming).order_by(col(Shortcoming.id)))
            ),
            *((n.id, n.kind) for n in session.exec(select(RemediationNote))),
            *(
                (d.unit_id, d.due_at)
                for d in session.exec(
                    select(StageDeadline).where(StageDeadline.stage == "remediation")
                )
            ),
        ]


def _refused(engine: Engine, action: Any, **kwargs: Any) -> str:
    """Run an action that must be refused; return its message, having checked nothing changed."""
    before = (snapshot(engine), _rows(engine))
    with pytest.raises(ActionRefused) as refused, session_scope(engine) as session:
        action(session=session, **kwargs)
    assert (snapshot(engine), _rows(engine)) == before
    assert str(refused.value).endswith("Nothing was changed.")
    return str(refused.value)


def _remediation_due(engine: Engine, code: str, cycle_code: str = CYCLE) -> Any:
    with Session(engine) as session:
        unit = get_units(session, get_cycle(session, cycle_code), [code])[0]
        return session.exec(
            select(StageDeadline.due_at).where(
                StageDeadline.unit_id == unit.id, StageDeadline.stage == "remediation"
            )
        ).first()


def _report(engine: Engine, item: int, actor: str, note: str, **kwargs: Any) -> Shortcoming:
    with session_scope(engine) as session:
        return report_remediation(
            session=session,
            shortcoming_id=item,
            actor_code=actor,
            now=APPROVED,
            note=note,
            **kwargs,
        )


def _assign(engine: Engine, unit: str, item: int, owners: list[str], actor: str = "A1") -> None:
    with session_scope(engine) as session:
        assign_shortcomings(
            session=session,
            cycle_code=CYCLE,
            unit_code=unit,
            shortcoming_id=item,
            owner_codes=owners,
            actor_code=actor,
            now=APPROVED,
        )


LAZY = ShortcomingInput("Chưa chủ động học tập nghị quyết.", cause="Chủ quan, ngại khó.")
CONCLUSION = "Cần tích cực phát biểu trong sinh hoạt chi bộ."
CELL_FAULT = ShortcomingInput("Sinh hoạt chi bộ chưa đều.", cause="Cấp ủy chưa sát sao.")


def _member_with_shortcomings(engine: Engine) -> list[dict[str, Any]]:
    """M:A3 decided with one shortcoming of its own review and one of the committee's."""
    _submit(engine, "M:A3", "A3", LAZY)
    _approve(engine, ["O:C1"])
    _approve(engine, ["M:A3"], conclusions=(CONCLUSION,))
    return _items(engine, unit_code="M:A3")


def test_shortcomings_are_recorded_with_owner_and_due_date(cycle: Engine) -> None:
    items = _member_with_shortcomings(cycle)
    assert [(i["source"], i["text"], i["cause"]) for i in items] == [
        ("self_review", LAZY.text, LAZY.cause),
        ("conclusion", CONCLUSION, ""),
    ]
    assert {(i["owner"], i["owner_name"], i["due_local"], i["status"]) for i in items} == {
        ("A3", "Nguyễn Văn A3", "27/12/2026", "open")
    }
    assert _remediation_due(cycle, "M:A3") == DUE
    # The cell had none: it closes; the member begins its remediation.
    moved, _ = tick(cycle, APPROVED)
    assert (_state(cycle, "O:C1"), _state(cycle, "M:A3")) == ("closed", "remediation")
    assert moved["finish_remediation"] == 0
    # Recording is once per unit: a second call adds nothing.
    with session_scope(cycle) as session:
        found = get_cycle(session, CYCLE)
        units = get_units(session, found, ["M:A3"])
        again = record_shortcomings(
            session, found, units, now=APPROVED, conclusions=["x"], actor=get_member(session, "A2")
        )
    assert again == 0 and len(_items(cycle)) == 2


def test_a_collectives_shortcoming_waits_for_owners_then_is_split(cycle: Engine) -> None:
    _submit(cycle, "O:C1", "A1", CELL_FAULT)
    _approve(cycle, ["O:C1"])
    [item] = _items(cycle, unit_code="O:C1")
    assert (item["owner"], item["status"]) == (None, "open")
    for day in ("2026-11-27 12:00", "2026-11-28 08:00"):
        tick(cycle, local(day))
        assert _state(cycle, "O:C1") == "published"  # nobody answers for it yet
    _assign(cycle, "O:C1", item["id"], ["A1", "A3"])
    copies = _items(cycle, unit_code="O:C1")
    assert [(c["owner"], c["text"], c["split_from"], c["status"]) for c in copies] == [
        ("A1", CELL_FAULT.text, item["id"], "open"),
        ("A3", CELL_FAULT.text, item["id"], "open"),
    ]
    assert _items(cycle, owner_code="A3") == [copies[1]]
    # Each owner is told what is now theirs and by when.
    told = {m.recipient: m.body_text for m in outbox(cycle, "remediation_assigned")}
    assert set(told) == {"a1@example.vn", "a3@example.vn"}
    assert CELL_FAULT.text in told["a3@example.vn"] and "27/12/2026" in told["a3@example.vn"]
    # The cell's published result listed it (before it had owners).
    [cell_mail] = [m for m in outbox(cycle, "published") if m.recipient == "c1@example.vn"]
    assert CELL_FAULT.text in cell_mail.body_text
    tick(cycle, local("2026-11-28 09:00"))
    assert _state(cycle, "O:C1") == "remediation"
    assert _remediation_due(cycle, "O:C1") == DUE
    # Once split, it is assigned: a second split is refused.
    message = _refused(
        cycle,
        assign_shortcomings,
        cycle_code=CYCLE,
        unit_code="O:C1",
        shortcoming_id=item["id"],
        owner_codes=["A2"],
        actor_code="A1",
        now=APPROVED,
    )
    parts = f"A1 (#{copies[0]['id']}), A3 (#{copies[1]['id']})"
    assert f"O:C1: shortcoming {item['id']} was already split among {parts}" in message


def test_after_a_split_status_report_and_list_agree_and_the_id_is_kept(cycle: Engine) -> None:
    from states.report import cycle_report
    from states.status import cycle_status

    _submit(cycle, "O:C1", "A1", CELL_FAULT)
    _approve(cycle, ["O:C1"])
    [item] = _items(cycle, unit_code="O:C1")
    _assign(cycle, "O:C1", item["id"], ["A1", "A3"])
    listed = _items(cycle)
    with Session(cycle) as session:
        status = cycle_status(session=session, cycle=get_cycle(session, CYCLE), now=APPROVED)
        report = cycle_report(session, CYCLE, APPROVED)
    counted = {k: n for k, n in status["process"]["shortcomings"].items() if n}
    assert counted == {"open": len(listed)} == {"open": 2}
    assert [(i.id, i.part_of) for i in report.remediation_items] == [
        (i["id"], item["id"]) for i in listed
    ]
    # The original's id still answers: its parts point to it, and a report on it names them.
    message = _refused(
        cycle,
        report_remediation,
        shortcoming_id=item["id"],
        actor_code="A1",
        now=APPROVED,
        note="Đã khắc phục.",
    )
    assert f"shortcoming {item['id']} was split among A1 (#{listed[0]['id']})" in message


def test_assigning_is_refused_to_others_and_for_outsiders(cycle: Engine) -> None:
    _submit(cycle, "O:C1", "A1", CELL_FAULT)
    _submit(cycle, "M:A3", "A3", LAZY)
    _approve(cycle, ["O:C1", "M:A3"])
    cell = _items(cycle, unit_code="O:C1")[0]["id"]
    own = _items(cycle, unit_code="M:A3")[0]["id"]

    def refused(unit: str, item: int, owners: list[str], actor: str) -> str:
        return _refused(
            cycle,
            assign_shortcomings,
            cycle_code=CYCLE,
            unit_code=unit,
            shortcoming_id=item,
            owner_codes=owners,
            actor_code=actor,
            now=APPROVED,
        )

    assert (
        "O:C1: B1 (Nguyễn Văn B1) neither heads C1 nor sits on its approving committee "
        "(G1 or above)" in refused("O:C1", cell, ["A3"], "B1")
    )
    assert "O:C1: A3 (Nguyễn Văn A3) neither heads C1" in refused("O:C1", cell, ["A3"], "A3")
    message = refused("O:C1", cell, ["A3", "B3", "NOBODY"], "A1")
    assert "B3 (Nguyễn Văn B3) is neither a member of C1 nor on its committee" in message
    assert "no member 'NOBODY'; check the code in members.csv" in message
    assert f"O:C1: shortcoming {own} is not one of its shortcomings" in refused(
        "O:C1", own, ["A3"], "A1"
    )
    assert f"M:A3: shortcoming {own} is already assigned to A3 (Nguyễn Văn A3)" in refused(
        "M:A3", own, ["A1"], "A2"
    )
    # The head of the grassroots committee above (A2 heads G1) may assign it.
    _assign(cycle, "O:C1", cell, ["A3"], actor="A2")
    assert [(i["owner"], i["split_from"]) for i in _items(cycle, unit_code="O:C1")] == [
        ("A3", None)
    ]


def test_progress_then_remedied_closes_the_unit(cycle: Engine) -> None:
    first, second = (i["id"] for i in _member_with_shortcomings(cycle))
    tick(cycle, APPROVED)
    assert _state(cycle, "M:A3") == "remediation"
    assert f"shortcoming {first} is A3's (Nguyễn Văn A3) to remedy; A1 (Nguyễn Văn A1)" in (
        _refused(
            cycle,
            report_remediation,
            shortcoming_id=first,
            actor_code="A1",
            now=APPROVED,
            note="Đã nhắc nhở.",
        )
    )
    assert "say what was done; a report without evidence is not recorded (--note)" in _refused(
        cycle, report_remediation, shortcoming_id=first, actor_code="A3", now=APPROVED, note=" "
    )
    assert _report(cycle, first, "A3", "Đã đăng ký học tập chuyên đề.").status is R.IN_PROGRESS
    assert _report(cycle, first, "A3", "Đã hoàn thành.", remedied=True).status is R.REMEDIED
    moved, _ = tick(cycle, local("2026-12-01 08:00"))
    assert _state(cycle, "M:A3") == "remediation"  # the committee's point is still open
    assert [(i["status"], i["notes"]) for i in _items(cycle, unit_code="M:A3")] == [
        ("remedied", 2),
        ("open", 0),
    ]
    _report(cycle, second, "A3", "Đã phát biểu ở ba kỳ sinh hoạt.", remedied=True)
    assert _remediation_due(cycle, "M:A3") is None  # nothing left to be late with
    moved, _ = tick(cycle, local("2026-12-02 08:00"))
    assert moved["finish_remediation"] == 1 and _state(cycle, "M:A3") == "closed"
    assert "already remedied on 27/11/2026" in _refused(
        cycle, report_remediation, shortcoming_id=first, actor_code="A3", now=APPROVED, note="x"
    )


def test_an_item_past_due_is_overdue_and_the_unit_escalates(
    cycle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "vi")  # it reads the Vietnamese mail
    [item, _] = _member_with_shortcomings(cycle)
    tick(cycle, APPROVED)
    tick(cycle, local("2026-12-26 08:00"))  # two days before: a reminder
    reminder = {m.recipient: m.body_text for m in outbox(cycle, "reminder")}["a3@example.vn"]
    assert "M:A3" in reminder and "khắc phục hạn chế, khuyết điểm" in reminder
    moved, _ = tick(cycle, local("2026-12-29 08:00"))  # a day after: the unit and its secretary
    assert moved["shortcomings_overdue"] == 2
    assert {i["status"] for i in _items(cycle, unit_code="M:A3")} == {"overdue"}
    overdue = {m.recipient: m.body_text for m in outbox(cycle, "overdue")}
    line = next(x for x in overdue["bt.c1@example.vn"].splitlines() if "M:A3" in x)
    assert "khắc phục hạn chế, khuyết điểm" in line and "27/12/2026" in line
    tick(cycle, local("2027-01-01 08:00"))  # three days after: the committee above (G1)
    digest = {m.recipient: m.body_text for m in outbox(cycle, "digest")}["g1@example.vn"]
    line = next(x for x in digest.splitlines() if "M:A3" in x)
    assert "khắc phục hạn chế, khuyết điểm" in line
    with Session(cycle) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        steps = session.exec(
            select(Escalation.step).where(
                Escalation.unit_id == unit.id, Escalation.stage == "remediation"
            )
        ).all()
    assert sorted(steps) == [0, 1, 2]
    # Reporting progress does not hide the lateness from the next tick.
    _report(cycle, item["id"], "A3", "Đang học tập.")
    tick(cycle, local("2027-01-02 08:00"))
    assert _items(cycle, unit_code="M:A3")[0]["status"] == "overdue"


def test_only_the_inspection_commission_supervises(cycle: Engine) -> None:
    [item, _] = _member_with_shortcomings(cycle)
    message = _refused(
        cycle, supervise, shortcoming_id=item["id"], actor_code="A1", now=APPROVED, note="Tốt."
    )
    assert (
        f"only the inspection commission of {CYCLE} (B4) supervises remediation, not A1 "
        "(Nguyễn Văn A1)" in message
    )
    with session_scope(cycle) as session:
        supervise(
            session=session,
            shortcoming_id=item["id"],
            actor_code="B4",
            now=APPROVED,
            note="Đề nghị báo cáo kết quả trước 15/12.",
        )
    with Session(cycle) as session:
        notes = session.exec(select(RemediationNote)).all()
    assert [(n.kind, n.text) for n in notes] == [
        ("supervision", "Đề nghị báo cáo kết quả trước 15/12.")
    ]
    assert _items(cycle, unit_code="M:A3")[0]["notes"] == 1


# --- two years --------------------------------------------------------------------------


def _next_year(engine: Engine, tmp_path: Path, **changes: Any) -> None:
    """Launch TT-2027 after TT-2026 for the same district, and start its self-reviews."""

    def shifted(dates: dict[str, str]) -> dict[str, str]:
        return {stage: day.replace("2026", "2027") for stage, day in dates.items()}

    folder = tmp_path / "2027"
    folder.mkdir()
    launch_cycle(
        engine,
        folder,
        NEXT_LAUNCH,
        code=NEXT,
        title="Kiểm điểm, đánh giá, xếp loại chất lượng năm 2027",
        previous_cycle=CYCLE,
        due=shifted(PLAN["due"]),
        pilots={"organizations": ["G1"], "due": shifted(PLAN["pilots"]["due"])},
        **changes,
    )
    with session_scope(engine) as session:
        advance(session=session, cycle=get_cycle(session, NEXT), now=NEXT_LAUNCH)


def _earlier_of(engine: Engine, code: str) -> tuple[list[Shortcoming], list[Shortcoming]]:
    """TT-2027's view of a unit: what carried over, and what of it is not remedied."""
    with Session(engine) as session:
        found = get_cycle(session, NEXT)
        unit = get_units(session, found, [code])[0]
        assert unit.id is not None
        unremedied = unremedied_earlier(session, found, [unit]).get(unit.id, [])
        return carried_over(session, found, unit), unremedied


def test_a_shortcoming_carries_into_next_year_until_remedied(cycle: Engine, tmp_path: Path) -> None:
    _submit(cycle, "O:C1", "A1", CELL_FAULT)
    _submit(cycle, "M:A3", "A3", LAZY)
    _approve(cycle, ["O:C1", "M:A3"])
    cell_item = _items(cycle, unit_code="O:C1")[0]["id"]
    _assign(cycle, "O:C1", cell_item, ["A1", "A3"])
    own, cell_a1, cell_a3 = (i["id"] for i in _items(cycle))
    _next_year(cycle, tmp_path)

    carried, unremedied = _earlier_of(cycle, "M:A3")
    # The member answers for their own and for their share of the cell's.
    assert [s.id for s in carried] == [s.id for s in unremedied] == [own, cell_a3]
    assert [s.id for s in _earlier_of(cycle, "O:C1")[0]] == [cell_a1, cell_a3]
    assert [s.id for s in _earlier_of(cycle, "M:A1")[0]] == [cell_a1]
    assert _earlier_of(cycle, "M:B3") == ([], [])

    _report(cycle, own, "A3", "Đã hoàn thành chuyên đề.", remedied=True)
    carried, unremedied = _earlier_of(cycle, "M:A3")
    assert [(s.id, s.status) for s in carried] == [(own, R.REMEDIED), (cell_a3, R.OPEN)]
    assert [s.id for s in unremedied] == [cell_a3]
    _report(cycle, cell_a3, "A3", "Chi bộ sinh hoạt đủ 12 kỳ.", remedied=True)
    assert _earlier_of(cycle, "M:A3")[1] == []


@pytest.fixture
def uncapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """qd366 without the 20% cap, so one member of a three-member committee may be excellent:
    what is tested is the remediation rule, not the cap."""
    rules = yaml.safe_load((SHIPPED / "qd366-2025.yaml").read_text(encoding="utf-8"))
    rules.pop("excellent_cap")
    rules["name"] = "qd366-uncapped"
    folder = tmp_path / "rule_sets"
    folder.mkdir()
    (folder / "qd366-uncapped.yaml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    monkeypatch.setenv("KIEMDIEM_RULE_SETS_DIR", str(folder))
    return "qd366-uncapped"


def test_an_unremedied_shortcoming_blocks_excellent_next_year(
    cycle: Engine, tmp_path: Path, uncapped: str
) -> None:
    first, second = (i["id"] for i in _member_with_shortcomings(cycle))
    _next_year(cycle, tmp_path, rule_set=uncapped)
    answers = {first: "Đang học tập.", second: "Đã phát biểu nhiều hơn."}
    review: dict[str, Any] = {"cycle_code": NEXT, "level": Level.EXCELLENT, "now": NEXT_LAUNCH}
    _submit(cycle, "M:A3", "A3", carried=answers, **review)
    decided = local("2027-11-27 10:00")
    _approve(cycle, ["O:C1"], cycle_code=NEXT, now=decided)
    with pytest.raises(ActionRefused) as refused:
        _approve(cycle, ["M:A3"], cycle_code=NEXT, now=decided, level=Level.EXCELLENT)
    message = str(refused.value)
    assert (
        "M:A3 cannot be excellent: 2 shortcomings from earlier cycles are not remedied" in message
    )
    assert f"#{first} 'Chưa chủ động" in message and f"#{second} 'Cần tích cực" in message
    assert _state(cycle, "M:A3", NEXT) == "approval"
    _report(cycle, first, "A3", "Đã học tập đủ các chuyên đề.", remedied=True)
    _report(cycle, second, "A3", "Đã phát biểu ở mọi kỳ sinh hoạt.", remedied=True)
    _approve(cycle, ["M:A3"], cycle_code=NEXT, now=decided, level=Level.EXCELLENT)
    with Session(cycle) as session:
        unit = get_units(session, get_cycle(session, NEXT), ["M:A3"])[0]
    assert (unit.state, unit.final_level) == ("published", Level.EXCELLENT)


def test_a_remedied_shortcoming_recorded_again_has_recurred(cycle: Engine, tmp_path: Path) -> None:
    _member_with_shortcomings(cycle)
    lazy, spoken = (i["id"] for i in _items(cycle, unit_code="M:A3"))
    _report(cycle, lazy, "A3", "Đã hoàn thành chuyên đề.", remedied=True)
    _next_year(cycle, tmp_path)
    again = ShortcomingInput("Lại chưa chủ động học tập.", cause="Chủ quan.", repeats=lazy)
    still = ShortcomingInput("Vẫn ít phát biểu.", repeats=spoken)  # never remedied
    answers = {lazy: "Đã khắc phục năm trước.", spoken: "Chưa khắc phục xong."}
    _submit(cycle, "M:A3", "A3", again, still, cycle_code=NEXT, now=NEXT_LAUNCH, carried=answers)
    # Before the committee records it, the rule check already sees it come back.
    assert [s.id for s in _earlier_of(cycle, "M:A3")[1]] == [lazy, spoken]
    _approve(cycle, ["O:C1", "M:A3"], cycle_code=NEXT, now=local("2027-11-27 10:00"))

    [recorded] = _items(cycle, NEXT, unit_code="M:A3")  # the open one carries, not copied
    assert (recorded["text"], recorded["carried_from"], recorded["status"]) == (
        again.text,
        lazy,
        "open",
    )
    carried, unremedied = _earlier_of(cycle, "M:A3")
    assert [(s.id, s.status) for s in carried] == [(lazy, R.RECURRED), (spoken, R.OPEN)]
    assert [s.id for s in unremedied] == [lazy, spoken]
    assert f"recorded again as shortcoming {recorded['id']}; report on that one" in _refused(
        cycle, report_remediation, shortcoming_id=lazy, actor_code="A3", now=APPROVED, note="x"
    )
