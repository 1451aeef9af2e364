"""Higher-level approval: the rule checks on the decided levels, and publication."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import ActionRefused, AuditEntry, Level, Unit, session_scope
from models.cycle import UnitKind
from models.org_import import import_organizations
from models.organization import OrgLevel
from states import approve, remediation
from states.approval_rules import band_problem, cap_allows, cap_limit, cap_problem, choice_problem
from states.directory import OrgNode
from states.groups import Group
from states.publication import published_results
from tests.factories import MEMBERS, member, write_district
from tests.states.helpers import CYCLE, act, launch_cycle, local, outbox, place, snapshot, state
from vocabulary.refusals import word

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")

LAUNCH = local("2026-11-10 08:00")
NOW = local("2026-11-27 09:00")
E, G, C = Level.EXCELLENT, Level.GOOD, Level.COMPLETED


@pytest.fixture
def cycle(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH)
    return district


@pytest.fixture
def crowded(engine: Engine, tmp_path: Path) -> Engine:
    """The factory district with seven members in C1 (G1's member group), to reach the cap."""
    extra = [member(f"A{i}", "C1") for i in range(4, 8)]
    orgs_csv, members_csv = write_district(tmp_path, members=MEMBERS + extra)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch_cycle(engine, tmp_path, LAUNCH)
    return engine


def _decide(engine: Engine, codes: list[str], actor: str, **kwargs: Any) -> None:
    act(engine, approve, unit_codes=codes, actor_code=actor, now=NOW, **kwargs)


def _refused(engine: Engine, codes: list[str], actor: str, **kwargs: Any) -> str:
    """The refusal's message, after checking the refused action wrote nothing."""
    before = snapshot(engine)
    with pytest.raises(ActionRefused) as refused:
        _decide(engine, codes, actor, **kwargs)
    assert snapshot(engine) == before
    message = str(refused.value)
    # A batch refused for some of its units names the others, also unchanged.
    assert message.endswith(("Nothing was changed.", "or once it is allowed."))
    return message


def _final(engine: Engine, code: str) -> Level | None:
    with Session(engine) as session:
        return session.exec(select(Unit.final_level).where(Unit.code == code)).one()


# The cap's arithmetic, as pure functions the report reuses too.


@pytest.mark.parametrize(
    ("excellent", "good", "share", "allowed", "limit"),
    [
        (1, 5, 0.2, True, 1),  # exactly 20%
        (2, 5, 0.2, False, 1),  # one more
        (0, 0, 0.2, True, 0),
        (1, 4, 0.2, False, 0),
        (2, 10, 0.2, True, 2),
        (3, 10, 0.3, True, 3),  # 0.3 × 10 is 3.0000000000000004 in floats
        (4, 10, 0.3, False, 3),
    ],
)
def test_the_cap_is_integer_exact(
    excellent: int, good: int, share: float, allowed: bool, limit: int
) -> None:
    assert cap_allows(excellent, good, share) is allowed
    assert cap_limit(good, share) == limit
    group = Group(
        UnitKind.MEMBER, OrgNode(1, "G1", "Đảng ủy", OrgLevel.GRASSROOTS, None, "1/", None, None)
    )
    problem = cap_problem(
        rule_set="qd366-2025", group=group, excellent=excellent, good=good, share_of_good=share
    )
    assert (problem is None) is allowed


def test_pure_checks_name_the_numbers() -> None:
    bands = {E: 90, G: 70, C: 50}
    assert band_problem(code="M:X", level=G, score=70, bands=bands, rule_set="r") is None
    lowest = Level.NOT_COMPLETED
    assert band_problem(code="M:X", level=lowest, score=0, bands=bands, rule_set="r") is None
    low = band_problem(code="M:X", level=E, score=89, bands=bands, rule_set="r")
    assert low is not None and word(low, front="page") == (
        "M:X: Excellently completed duties needs a score of at least 90 under r; the "
        "self-review scored 89"
    )
    assert choice_problem("M:X", G, G, None) is None
    assert choice_problem("M:X", G, C, "lý do") is None
    raised = choice_problem("M:X", G, E, "x")
    assert raised is not None and raised.code == "raising_refused"
    assert "raising Well completed duties to Excellently completed duties is refused" in word(
        raised
    )
    assert "has no proposed level" in str(ActionRefused(choice_problem("M:X", None, None, None)))


# The cap on excellent, at the service.


def _cell_decided(engine: Engine, level: Level = G) -> None:
    """C1 decided first: the collective comes before its members (another guard's rule)."""
    place(engine, "O:C1", "published", proposed_level=level, final_level=level, score=80)


def _arrange_members(engine: Engine, levels: dict[str, Level]) -> None:
    _cell_decided(engine)
    for code, level in levels.items():
        place(engine, code, "approval", proposed_level=level, score=95 if level is E else 80)


def test_the_cap_allows_exactly_20_percent_and_refuses_one_more(crowded: Engine) -> None:
    # B4 (heading D) decides: M:A2 is G1's own head, whom G1 may not decide.
    goods = [f"M:A{i}" for i in range(1, 6)]
    _arrange_members(crowded, {**dict.fromkeys(goods, G), "M:A6": E, "M:A7": E})
    message = _refused(crowded, [*goods, "M:A6", "M:A7"], "B4")
    assert message == (
        "cap on excellent (qd366-2025): among the member units within G1 (Đảng ủy xã Thanh "
        "Sơn), 2 excellent would exceed 20% of 5 good (at most 1); decide fewer excellent, or "
        "decide the group's good levels in the same action (--level LEVEL / --set UNIT=LEVEL)"
        "\nNothing was changed."
    )
    _decide(crowded, [*goods, "M:A6"], "B4")  # 1 excellent of 5 good: exactly 20%
    assert _final(crowded, "M:A6") is E and state(crowded, "M:A5") == "published"
    # The decisions already made count: one more excellent later is refused too.
    assert "2 excellent would exceed 20% of 5 good (at most 1)" in _refused(crowded, ["M:A7"], "B4")
    _decide(crowded, ["M:A7"], "B4", level=G, reason="Chưa đủ điều kiện so với đồng chí khác.")
    assert _final(crowded, "M:A7") is G


def test_the_cap_counts_within_the_comparable_group_only(crowded: Engine) -> None:
    # Five good members decided in G2's group do not make room in G1's.
    for code in ("M:B1", "M:B2", "M:B3", "M:E1", "M:E2"):
        place(crowded, code, "published", proposed_level=G, final_level=G, score=80)
    _arrange_members(crowded, {"M:A6": E})
    assert "1 excellent would exceed 20% of 0 good (at most 0)" in _refused(crowded, ["M:A6"], "A2")


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_committees_deciding_at_once_cannot_both_fill_the_cap(crowded: Engine) -> None:
    """The second decision waits for the first to commit, then counts it and is refused."""
    _cell_decided(crowded)
    for code in (f"M:A{i}" for i in range(1, 6)):
        place(crowded, code, "published", proposed_level=G, final_level=G, score=80)
    for code in ("M:A6", "M:A7"):
        place(crowded, code, "approval", proposed_level=E, score=95)
    second: dict[str, BaseException | None] = {}

    def decide_a7() -> None:
        try:
            _decide(crowded, ["M:A7"], "A2")
            second["error"] = None
        except ActionRefused as refused:
            second["error"] = refused

    with Session(crowded) as first:
        approve(session=first, cycle_code=CYCLE, unit_codes=["M:A6"], actor_code="A2", now=NOW)
        thread = threading.Thread(target=decide_a7)
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive()  # waiting on G1's member group
        first.commit()
    thread.join(timeout=30)
    assert "2 excellent would exceed 20% of 5 good" in str(second["error"])
    assert (_final(crowded, "M:A6"), _final(crowded, "M:A7")) == (E, None)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_one_unit_approved_twice_at_once_is_approved_once(cycle: Engine) -> None:
    _cell_decided(cycle)
    place(cycle, "M:A3", "approval", proposed_level=G, score=80)
    second: dict[str, BaseException | None] = {}

    def approve_again() -> None:
        try:
            _decide(cycle, ["M:A3"], "B4")  # B4 heads the district, above G1
            second["error"] = None
        except ActionRefused as refused:
            second["error"] = refused

    with Session(cycle) as first:
        approve(session=first, cycle_code=CYCLE, unit_codes=["M:A3"], actor_code="A2", now=NOW)
        thread = threading.Thread(target=approve_again)
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive()  # waiting for the first decision on the unit
        first.commit()
    thread.join(timeout=30)
    assert "cannot approve a unit that is result published" in str(second["error"])
    with Session(cycle) as session:
        decisions = session.exec(select(AuditEntry).where(AuditEntry.trigger == "approve")).all()
    assert [d.actor for d in decisions] == ["A2"]
    assert len(outbox(cycle, "published")) == 1


# A head is not rated above the collective they lead.


def _leaders_good(engine: Engine) -> None:
    """Five leaders decided good in the district's leader group, so one excellent fits the cap."""
    for code in ("L:A1", "L:B1", "L:B2", "L:E1", "L:B4"):
        place(engine, code, "published", proposed_level=G, final_level=G, score=80)


def test_a_head_is_not_rated_above_the_leadership_they_lead(cycle: Engine) -> None:
    _leaders_good(cycle)
    _cell_decided(cycle)
    place(cycle, "T:G1", "published", proposed_level=G, final_level=G, score=80)
    place(cycle, "L:A2", "approval", proposed_level=E, score=95)
    message = _refused(cycle, ["L:A2"], "B4")
    assert message == (
        "L:A2: L:A2 (Nguyễn Văn A2) cannot be rated Excellently completed duties, above Well "
        "completed duties decided for T:G1, the collective they lead (qd124: a head is not "
        "rated above the collective) (--level LEVEL / --set UNIT=LEVEL)\n"
        "Nothing was changed."
    )
    _decide(cycle, ["L:A2"], "B4", level=G, reason="Không cao hơn tập thể lãnh đạo.")
    assert _final(cycle, "L:A2") is G  # equal to the collective is allowed


def test_a_cell_head_is_measured_against_the_cell(cycle: Engine) -> None:
    _cell_decided(cycle, C)
    place(cycle, "L:A1", "approval", proposed_level=G, score=80)
    assert (
        "L:A1 (Nguyễn Văn A1) cannot be rated Well completed duties, above Completed duties "
        "decided for O:C1"
    ) in _refused(cycle, ["L:A1"], "A2")


def test_a_head_decided_with_the_collective_is_checked_against_it(cycle: Engine) -> None:
    _cell_decided(cycle)
    _leaders_good(cycle)
    place(cycle, "O:G1", "published", proposed_level=G, final_level=G, score=80)
    place(cycle, "T:G1", "approval", proposed_level=G, score=80)
    place(cycle, "L:A2", "approval", proposed_level=G, score=80)
    assert "above Completed duties decided for T:G1" in _refused(
        cycle, ["T:G1", "L:A2"], "B4", levels={"T:G1": C}, reason="Còn hạn chế."
    )
    _decide(cycle, ["T:G1", "L:A2"], "B4")
    assert _final(cycle, "T:G1") is _final(cycle, "L:A2") is G


# The score band (366) and what is not checked under 124.


def test_a_level_needs_its_score_band_under_366(cycle: Engine) -> None:
    _cell_decided(cycle)
    place(cycle, "M:A3", "approval", proposed_level=G, score=65)
    assert _refused(cycle, ["M:A3"], "A2") == (
        "M:A3: Well completed duties needs a score of at least 70 under qd366-2025; the "
        "self-review scored 65 (--level LEVEL / --set UNIT=LEVEL)\n"
        "Nothing was changed."
    )
    place(cycle, "M:A3", "approval", proposed_level=G, score=70)
    _decide(cycle, ["M:A3"], "A2")
    assert _final(cycle, "M:A3") is G


def test_every_broken_rule_is_reported_at_once(cycle: Engine) -> None:
    _cell_decided(cycle)
    place(cycle, "M:A3", "approval", proposed_level=E, score=85)
    place(cycle, "M:A1", "approval", proposed_level=G, score=80)
    message = _refused(cycle, ["M:A3", "M:A1"], "A2", levels={"M:A1": C})
    assert (
        "M:A1: lowering Well completed duties to Completed duties needs a reason the unit "
        "will read (--reason)" in message
    )
    assert (
        "M:A3: Excellently completed duties needs a score of at least 90 under qd366-2025; "
        "the self-review scored 85" in message
    )
    assert "1 excellent would exceed 20% of 0 good (at most 0)" in message


def test_the_band_is_not_checked_under_124(district: Engine, tmp_path: Path) -> None:
    launch_cycle(district, tmp_path, LAUNCH, rule_set="qd124-2023")
    _cell_decided(district)
    place(district, "M:A3", "approval", proposed_level=G, score=None)
    place(district, "M:A1", "approval", proposed_level=C, score=10)
    _decide(district, ["M:A3", "M:A1"], "A2")
    assert (_final(district, "M:A3"), _final(district, "M:A1")) == (G, C)


# The committee confirms or lowers; it does not raise.


def test_raising_above_the_proposal_is_refused(cycle: Engine) -> None:
    _cell_decided(cycle)
    place(cycle, "M:A3", "approval", proposed_level=G, score=95)
    assert _refused(cycle, ["M:A3"], "A2", level=E) == (
        "M:A3: raising Well completed duties to Excellently completed duties is refused: the "
        "committee confirms or lowers the proposed level; to raise it, return the unit for "
        "re-review (--level LEVEL / --set UNIT=LEVEL)\nNothing was changed."
    )


def test_lowering_needs_a_reason_and_the_unit_reads_it(
    cycle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cell_decided(cycle)
    place(cycle, "M:A3", "approval", proposed_level=G, score=80)
    message = _refused(cycle, ["M:A3"], "A2", level=C, reason="  ")
    assert message == (
        "M:A3: lowering Well completed duties to Completed duties needs a reason the unit "
        "will read (--reason)\n"
        "Nothing was changed."
    )
    monkeypatch.setenv("KIEMDIEM_LANG", "vi")  # the unit reads the Vietnamese mail
    reason = "Chưa hoàn thành chỉ tiêu phát triển đảng viên."
    _decide(cycle, ["M:A3"], "A2", level=C, reason=reason)
    assert (_final(cycle, "M:A3"), state(cycle, "M:A3")) == (C, "published")
    with Session(cycle) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.trigger == "approve")).one()
    assert (entry.actor, entry.to_state, entry.reason) == ("A2", "published", reason)
    [mail] = outbox(cycle, "published")
    assert mail.recipient == "a3@example.vn"
    assert "Hoàn thành nhiệm vụ" in mail.body_text and reason in mail.body_text


def test_a_set_level_must_name_a_decided_unit(cycle: Engine) -> None:
    _cell_decided(cycle)
    place(cycle, "M:A3", "approval", proposed_level=G, score=80)
    assert "M:B3: a level is given for a unit that is not among the units decided" in _refused(
        cycle, ["M:A3"], "A2", levels={"M:B3": G}
    )


# Publication.


def test_publication_reaches_the_member_and_the_cells_members_once_each(
    cycle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "vi")  # it reads the Vietnamese mail
    place(cycle, "O:C1", "approval", proposed_level=G, score=80)
    place(cycle, "M:A3", "approval", proposed_level=G, score=80)
    with Session(cycle) as session:
        assert published_results(session, CYCLE, "A3") == []
    reason = "Chưa chủ động học tập."
    _decide(cycle, ["O:C1", "M:A3"], "A2", levels={"M:A3": C}, reason=reason)
    mails = {m.recipient: m for m in outbox(cycle, "published")}
    # The cell's address and every member of C1; A3 gets both results in one mail.
    assert set(mails) == {"c1@example.vn", "a1@example.vn", "a2@example.vn", "a3@example.vn"}
    mine = mails["a3@example.vn"].body_text
    assert "Chi bộ thôn 1" in mine and "Hoàn thành tốt nhiệm vụ" in mine
    assert "Nguyễn Văn A3" in mine and "M:A3): Hoàn thành nhiệm vụ" in mine and reason in mine
    theirs = mails["a1@example.vn"].body_text
    assert "Hoàn thành tốt nhiệm vụ" in theirs and "M:A3" not in theirs and reason not in theirs
    with Session(cycle) as session:
        assert published_results(session, CYCLE, "A3") == [
            {
                "unit_code": "M:A3",
                "unit_name": "Nguyễn Văn A3",
                "kind": "member",
                "level": "completed",
                "reason": reason,
            },
            {
                "unit_code": "O:C1",
                "unit_name": "Chi bộ thôn 1",
                "kind": "organization",
                "level": "good",
                "reason": None,
            },
        ]
        assert [r["unit_code"] for r in published_results(session, CYCLE, "A1")] == ["O:C1"]
        assert published_results(session, CYCLE, "B3") == []
        # The reason is written against the lowered decision only, not the confirmed one.
        audit = session.exec(
            select(Unit.code, AuditEntry.reason)
            .join(Unit, col(Unit.id) == col(AuditEntry.unit_id))
            .where(AuditEntry.trigger == "approve")
        ).all()
    assert sorted(audit) == [("M:A3", reason), ("O:C1", None)]


def test_approval_records_shortcomings_with_the_conclusions(
    cycle: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], tuple[str, ...], str]] = []

    def record(session: Any, cycle: Any, units: Any, **kw: Any) -> int:
        calls.append(([u.code for u in units], tuple(kw["conclusions"]), kw["actor"].code))
        return 0

    monkeypatch.setattr(remediation, "record_shortcomings", record)
    _cell_decided(cycle)
    place(cycle, "M:A3", "approval", proposed_level=G, score=80)
    _decide(cycle, ["M:A3"], "A2", conclusions=["Chưa gương mẫu."])
    assert calls == [(["M:A3"], ("Chưa gương mẫu.",), "A2")]


def test_excellent_needs_earlier_shortcomings_remedied(
    crowded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # B4 (heading D) decides: M:A2 is G1's own head, whom G1 may not decide.
    from models.remediation import RemediationStatus, Shortcoming

    def unremedied(session: Any, cycle: Any, units: Any) -> dict[int, list[Shortcoming]]:
        return {
            u.id: [
                Shortcoming(
                    id=7,
                    cycle_id=0,
                    unit_id=0,
                    unit_code=u.code,
                    source="self_review",
                    text="Chưa chủ động nghiên cứu nghị quyết.",
                    status=RemediationStatus.OVERDUE,
                    recorded_at=LAUNCH,
                )
            ]
            for u in units
        }

    monkeypatch.setattr(remediation, "unremedied_earlier", unremedied)
    goods = [f"M:A{i}" for i in range(1, 6)]
    _arrange_members(crowded, {**dict.fromkeys(goods, G), "M:A6": E})
    message = _refused(crowded, [*goods, "M:A6"], "B4")
    assert re.fullmatch(
        r"M:A6: cannot be rated Excellently completed duties: shortcomings from earlier "
        r"cycles are not remedied \(#7 'Chưa chủ động nghiên…', remediation overdue\); "
        r"qd366-2025 requires all remedied \(--level LEVEL / --set UNIT=LEVEL\)\n"
        r"Nothing was changed: refused for M:A6; the other units named \(M:A1, M:A2, M:A3, "
        r"M:A4, M:A5\) were not changed either\. Act on them again without M:A6, or once it "
        r"is allowed\.",
        message,
    )
