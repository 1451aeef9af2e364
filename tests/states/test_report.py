"""The cycle report's figures: levels per organization and group, the cap, overdue, returned,
remediation; read from a cycle arranged directly in its later states."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import Level, Member, RemediationStatus, Shortcoming, Unit, UnitKind, load_settings
from models.errors import NotFound
from states import return_for_review
from states.report import CycleReport, OrgCounts, cap_check, cycle_report
from tests.states.helpers import CYCLE, act, launch_cycle, local, place, tick

LAUNCH = local("2026-11-10 08:00")
NOW = local("2026-11-22 08:00")
E, G, C, N = Level.EXCELLENT, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED
FINAL = {
    # Members of G1 (its cell C1): 1 good, 2 excellent: over the cap (floor(0.2 x 1) = 0).
    "M:A1": E,
    "M:A2": E,
    "M:A3": G,
    # Members of G2 (C2, C3): 5 good, 1 excellent: exactly at the cap (floor(0.2 x 5) = 1).
    "M:B1": G,
    "M:B2": G,
    "M:B3": G,
    "M:B4": G,
    "M:E1": G,
    "M:E2": E,
    "O:C1": C,
    "O:C2": N,
}


@pytest.fixture
def arranged(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH)
    tick(district, LAUNCH)  # every unit starts its self-review
    for code, level in FINAL.items():
        place(district, code, "published", final_level=level)
    place(district, "L:E1", "approval", proposed_level=G, score=80)
    act(
        district,
        return_for_review,
        unit_codes=["L:E1"],
        actor_code="B2",
        now=local("2026-11-12 09:00"),
        reason="Bản kiểm điểm còn qua loa, hình thức.",
        settings=load_settings(),
    )
    with Session(district) as session:
        units = {u.code: u for u in session.exec(select(Unit)).all()}
        members = {m.code: m.id for m in session.exec(select(Member)).all()}

        def shortcoming(code: str, text: str, **values: Any) -> Shortcoming:
            unit_id = units[code].id
            assert unit_id is not None
            row = Shortcoming(
                cycle_id=units[code].cycle_id,
                unit_id=unit_id,
                unit_code=code,
                source="conclusion",
                text=text,
                recorded_at=LAUNCH,
                **values,
            )
            session.add(row)
            session.flush()
            return row

        # C2's collective shortcoming, split to B1: only the copy is a remediation item.
        original = shortcoming("O:C2", "Sinh hoạt chi bộ chưa đều.")
        shortcoming(
            "O:C2",
            "Sinh hoạt chi bộ chưa đều.",
            owner_id=members["B1"],
            split_from_id=original.id,
            due_at=local("2027-03-01 00:00"),
            status=RemediationStatus.IN_PROGRESS,
        )
        shortcoming(
            "M:B3", "Chậm nộp đảng phí.", owner_id=members["B3"], status=RemediationStatus.REMEDIED
        )
        shortcoming("M:E2", "Ít tham gia sinh hoạt.", owner_id=members["E2"])
        session.commit()
    return district


def _report(engine: Engine, now: Any = NOW) -> CycleReport:
    with Session(engine) as session:
        return cycle_report(session, CYCLE, now)


def _levels(org: OrgCounts, kind: UnitKind) -> tuple[int, ...]:
    counts = org.kinds[kind]
    return (*(counts.by_level[level] for level in Level), counts.undecided)


@pytest.mark.parametrize(
    ("good", "excellent", "allowed", "within"),
    [(5, 1, 1, True), (5, 2, 1, False), (4, 1, 0, False), (0, 0, 0, True), (10, 2, 2, True)],
)
def test_the_cap_allows_a_fifth_of_good_rounded_down(
    good: int, excellent: int, allowed: int, within: bool
) -> None:
    check = cap_check(excellent=excellent, good=good, share_of_good=0.2)
    assert (check.allowed, check.within) == (allowed, within)


def test_the_cap_reads_the_share_as_the_decimal_written() -> None:
    # 0.29 x 100 is 28.999999999999996 in floating point; the rule means 29.
    assert cap_check(excellent=29, good=100, share_of_good=0.29).within


def test_counts_per_organization_rollup_and_cycle(arranged: Engine) -> None:
    report = _report(arranged)
    by_code = {o.code: o for o in report.organizations}
    assert list(by_code) == ["D", "G1", "C1", "G2", "C2", "C3"]  # in tree order
    # (excellent, good, completed, not completed, not yet classified)
    assert _levels(by_code["C1"], UnitKind.MEMBER) == (2, 1, 0, 0, 0)
    assert _levels(by_code["C1"], UnitKind.ORGANIZATION) == (0, 0, 1, 0, 0)
    assert _levels(by_code["C1"], UnitKind.LEADER) == (0, 0, 0, 0, 1)  # A1 heads C1
    assert UnitKind.LEADERSHIP not in by_code["C1"].kinds  # a cell has no leadership unit
    assert _levels(by_code["C2"], UnitKind.MEMBER) == (0, 4, 0, 0, 0)  # B1-B4, B4 heads D
    assert _levels(by_code["C2"], UnitKind.ORGANIZATION) == (0, 0, 0, 1, 0)
    rolled = {o.code: o for o in report.grassroots}
    assert list(rolled) == ["D", "G1", "G2"]
    assert _levels(rolled["G1"], UnitKind.MEMBER) == (2, 1, 0, 0, 0)
    assert _levels(rolled["G1"], UnitKind.ORGANIZATION) == (0, 0, 1, 0, 1)  # C1 and G1
    assert _levels(rolled["G1"], UnitKind.LEADER) == (0, 0, 0, 0, 2)  # A1 and A2
    assert _levels(rolled["G2"], UnitKind.MEMBER) == (1, 5, 0, 0, 0)
    assert _levels(rolled["D"], UnitKind.LEADER) == (0, 0, 0, 0, 1)  # B4 heads D
    assert _levels(report.totals, UnitKind.MEMBER) == (3, 6, 0, 0, 0)
    assert report.totals.all_kinds.total == 24 and report.totals.all_kinds.decided == 11


def test_cap_check_per_comparable_group(arranged: Engine) -> None:
    report = _report(arranged)
    groups = {(g.kind, g.code): g for g in report.groups}
    g1, g2 = groups[(UnitKind.MEMBER, "G1")], groups[(UnitKind.MEMBER, "G2")]
    assert (g1.counts.by_level[E], g1.counts.by_level[G], g1.check.allowed) == (2, 1, 0)
    assert not g1.check.within
    assert (g2.counts.by_level[E], g2.counts.by_level[G], g2.check.allowed) == (1, 5, 1)
    assert g2.check.within
    # Cells are compared within their grassroots organization, G1 and G2 within D.
    assert groups[(UnitKind.ORGANIZATION, "G2")].counts.by_level[N] == 1
    assert groups[(UnitKind.ORGANIZATION, "D")].counts.undecided == 2
    assert [(g.kind, g.code) for g in report.over_cap] == [(UnitKind.MEMBER, "G1")]
    assert report.share_of_good == 0.2


def test_overdue_units_at_now(arranged: Engine) -> None:
    report = _report(arranged)
    assert [(o.code, o.stage, o.due, o.days_late) for o in report.overdue] == [
        # Returned on 12 Nov with 7 days to redo it: due 19 Nov, three days late on the 22nd.
        ("L:E1", "re_review", date(2026, 11, 19), 3),
        # The pilot G1's self-review was due 20 Nov.
        ("L:A1", "self_review", date(2026, 11, 20), 2),
        ("L:A2", "self_review", date(2026, 11, 20), 2),
        ("O:G1", "self_review", date(2026, 11, 20), 2),
        ("T:G1", "self_review", date(2026, 11, 20), 2),
    ]
    names = {o.code: (o.name, o.organization) for o in report.overdue}
    assert names["L:A2"] == ("Nguyễn Văn A2", "Đảng ủy xã Thanh Sơn")
    assert names["O:G1"] == ("Đảng ủy xã Thanh Sơn", "Đảng ủy xã Thanh Sơn")
    # The day the pilots' self-review closes, nothing is overdue yet.
    assert [o.code for o in _report(arranged, local("2026-11-18 08:00")).overdue] == []


def test_returned_units_with_reason_and_who(arranged: Engine) -> None:
    [returned] = _report(arranged).returned
    assert (returned.code, returned.name, returned.organization) == (
        "L:E1",
        "Nguyễn Văn E1",
        "Chi bộ thôn 3",
    )
    assert returned.reason == "Bản kiểm điểm còn qua loa, hình thức."
    assert returned.returned_by == "Nguyễn Văn B2 (B2)"
    assert returned.at == local("2026-11-12 09:00") and returned.state == "returned"


def test_remediation_items_count_split_copies_not_their_original(arranged: Engine) -> None:
    report = _report(arranged)
    assert [(i.unit_code, i.owner, i.status) for i in report.remediation_items] == [
        ("O:C2", "Nguyễn Văn B1 (B1)", RemediationStatus.IN_PROGRESS),
        ("M:B3", "Nguyễn Văn B3 (B3)", RemediationStatus.REMEDIED),
        ("M:E2", "Nguyễn Văn E2 (E2)", RemediationStatus.OPEN),
    ]
    assert report.remediation_items[0].due == date(2027, 2, 28)  # due before 1 March
    per_org = {r.code: r.by_status for r in report.remediation}
    assert per_org["C2"][RemediationStatus.IN_PROGRESS] == 1
    assert per_org["C2"][RemediationStatus.REMEDIED] == 1
    assert per_org["C3"][RemediationStatus.OPEN] == 1
    assert report.open_shortcomings == 2


def test_the_report_reads_each_table_once_not_once_per_unit(arranged: Engine) -> None:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(arranged, "before_cursor_execute", record)
    try:
        _report(arranged)
    finally:
        event.remove(arranged, "before_cursor_execute", record)
    # Cycle, directory version (and tree, when not cached), counts, overdue, returns,
    # shortcomings, members, and the insights' own reads (units, reviews, comments, tallies,
    # state entries, deadlines, once each): a number that does not grow with the 24 units.
    assert len(statements) <= 20, statements


def test_an_unknown_cycle_is_named(district: Engine, english: None) -> None:
    with pytest.raises(NotFound, match="no cycle 'NOPE'"):
        with Session(district) as session:
            cycle_report(session, "NOPE", NOW)
