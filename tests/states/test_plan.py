"""Plan validation: the issue's example works as written; every wrong key is named."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from models import Cycle, PlanInvalid, Unit, load_settings, session_scope
from states import launch, load_plan, parse_plan
from states.plan import parse_offset
from tests.factories import PLAN, write_plan

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")

EXAMPLE = """\
code: TT-2026
title: Kiểm điểm, đánh giá, xếp loại chất lượng năm 2026
document: Kế hoạch số 131-KH/HU
launched_by: HU-TT            # organization code of the launching committee
rule_set: qd366-2025
timezone: Asia/Ho_Chi_Minh
due:                          # each date means the end of that local day
  self_review: 2026-12-01
  peer_review: 2026-12-04
  vote: 2026-12-06
  approval: 2026-12-09
pilots:
  organizations: [DU-XA-01]   # these organizations and everything under them
  due: {self_review: 2026-11-20, peer_review: 2026-11-23, vote: 2026-11-25, approval: 2026-11-28}
escalation:                   # offsets from the stage's due time
  - {at: -2d, notify: [unit]}
  - {at: 1d, notify: [unit, secretary]}
  - {at: 3d, notify: [higher]}
  - {at: 7d, notify: [standing]}
"""


def test_the_documented_example_is_a_valid_plan(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    plan = load_plan(path)
    assert plan.document == "Kế hoạch số 131-KH/HU"
    assert [s.offset for s in plan.escalation] == [
        timedelta(days=-2),
        timedelta(days=1),
        timedelta(days=3),
        timedelta(days=7),
    ]
    assert plan.pilots is not None and plan.pilots.organizations == ["DU-XA-01"]


def test_a_due_date_means_the_end_of_that_local_day() -> None:
    plan = parse_plan(copy.deepcopy(PLAN))
    # 9 Dec ends at midnight in Hanoi, which is 17:00 UTC on 9 Dec.
    assert plan.due_at(plan.due.approval) == datetime(2026, 12, 9, 17, 0, tzinfo=UTC)


def test_extra_keys_are_allowed() -> None:
    assert parse_plan({**copy.deepcopy(PLAN), "ghi_chu": "thêm"}).code == "TT-2026"


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PlanInvalid) as invalid:
        parse_plan(data, source="plan.yaml")
    return invalid.value.problems


def _without(key: str) -> dict[str, Any]:
    data = copy.deepcopy(PLAN)
    del data[key]
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (_without("document"), "plan.yaml: document: is required"),
        (_without("due"), "plan.yaml: due: is required"),
        (
            {**PLAN, "due": {**PLAN["due"], "vote": "2026-12-01"}},
            "vote (2026-12-01) is before peer_review",
        ),
        ({**PLAN, "due": {**PLAN["due"], "vote": "ngày 6"}}, "plan.yaml: due.vote:"),
        ({**PLAN, "due": {**PLAN["due"], "meeting": "2026-12-01"}}, "due.meeting: is not a stage"),
        ({**PLAN, "timezone": "Mars/Olympus"}, "timezone: 'Mars/Olympus' is not a time zone"),
        (
            {**PLAN, "rule_set": "qd999"},
            "rule_set: 'qd999' is not a rule set; known: qd124-2023, qd366-2025",
        ),
        (
            {**PLAN, "escalation": [{"at": "soon", "notify": ["unit"]}]},
            "escalation[0].at: 'soon' is not an offset",
        ),
        ({**PLAN, "escalation": [{"at": "1d", "notify": ["boss"]}]}, "escalation[0].notify[0]:"),
        (
            {
                **PLAN,
                "escalation": [
                    {"at": "1d", "notify": ["unit"]},
                    {"at": "24h", "notify": ["higher"]},
                ],
            },
            "escalation: two steps have the same offset",
        ),
        ({**PLAN, "pilots": {"organizations": [], "due": PLAN["due"]}}, "pilots.organizations:"),
        ({**PLAN, "code": "TT 2026/1"}, "code:"),
        (
            {
                **PLAN,
                "pilots": {**PLAN["pilots"], "due": {**PLAN["due"], "approval": "2026-12-10"}},
            },
            "pilots.due.approval (2026-12-10) is after due.approval (2026-12-09)",
        ),
        (
            {
                **PLAN,
                "opinions": {
                    "offices": [{"code": "UB", "name": "UBND", "email": "x", "organizations": []}]
                },
            },
            "opinions.offices[0].email: 'x' is not an e-mail address",
        ),
        ({**PLAN, "remediation_days": 0}, "remediation_days:"),
    ],
)
def test_each_wrong_key_is_named(data: dict[str, Any], expected: str) -> None:
    assert any(expected in p for p in _problems(copy.deepcopy(data)))


def test_all_problems_are_reported_at_once() -> None:
    data = {**copy.deepcopy(PLAN), "timezone": "Nowhere", "rule_set": "x"}
    del data["title"]
    assert len(_problems(data)) == 3


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(PlanInvalid, match="must be a mapping"):
        load_plan(path)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("-2d", timedelta(days=-2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("30m", timedelta(minutes=30)),
    ],
)
def test_offsets(text: str, delta: timedelta) -> None:
    assert parse_offset(text) == delta


def test_launch_refuses_unknown_organizations_and_writes_nothing(
    english: None, district: Engine, tmp_path: Path
) -> None:
    plan = load_plan(
        write_plan(
            tmp_path,
            launched_by="NOPE",
            pilots={**PLAN["pilots"], "organizations": ["G1", "ZZ"]},
            inspection_commission=["B4", "QQ"],
            opinions={
                "offices": [
                    {"code": "UB", "name": "UBND", "email": "ub@x.vn", "organizations": ["YY"]}
                ]
            },
        )
    )
    with pytest.raises(PlanInvalid) as invalid, session_scope(district) as session:
        launch(
            session=session,
            plan=plan,
            now=datetime(2026, 11, 1, tzinfo=UTC),
            settings=load_settings(),
        )
    assert invalid.value.problems == [
        "plan: launched_by: 'NOPE' is not an imported organization",
        "plan: pilots.organizations[1]: 'ZZ' is not an imported organization",
        "plan: inspection_commission[1]: 'QQ' is not an imported member",
        "plan: opinions.offices[0].organizations[0]: 'YY' is not an imported organization",
    ]
    with session_scope(district) as session:
        assert session.exec(select(func.count()).select_from(Cycle)).one() == 0
        assert session.exec(select(func.count()).select_from(Unit)).one() == 0


def test_a_previous_cycle_must_exist(english: None, district: Engine, tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path, previous_cycle="TT-2025"))
    with pytest.raises(PlanInvalid) as invalid, session_scope(district) as session:
        launch(
            session=session,
            plan=plan,
            now=datetime(2026, 11, 1, tzinfo=UTC),
            settings=load_settings(),
        )
    assert invalid.value.problems == [
        "plan: previous_cycle: 'TT-2025' is not a cycle in this database"
    ]


@pytest.mark.parametrize("start", ["21:00", 1260])  # 1260: YAML 1.1 reads bare 21:00 as minutes
def test_quiet_hours_overnight(start: object) -> None:
    plan = parse_plan({**copy.deepcopy(PLAN), "quiet_hours": {"start": start, "end": "06:00"}})
    hanoi = plan.zone
    assert plan.quiet_until(datetime(2026, 12, 2, 20, 59, tzinfo=hanoi)) is None
    assert plan.quiet_until(datetime(2026, 12, 2, 21, 0, tzinfo=hanoi)) == datetime(
        2026, 12, 3, 6, 0, tzinfo=hanoi
    )
    assert plan.quiet_until(datetime(2026, 12, 3, 5, 59, tzinfo=hanoi)) == datetime(
        2026, 12, 3, 6, 0, tzinfo=hanoi
    )
    assert plan.quiet_until(datetime(2026, 12, 3, 6, 0, tzinfo=hanoi)) is None


def test_quiet_hours_within_a_day_and_an_empty_window() -> None:
    plan = parse_plan({**copy.deepcopy(PLAN), "quiet_hours": {"start": "11:30", "end": "13:30"}})
    noon = datetime(2026, 12, 2, 12, 0, tzinfo=plan.zone)
    assert plan.quiet_until(noon) == datetime(2026, 12, 2, 13, 30, tzinfo=plan.zone)
    assert plan.quiet_until(datetime(2026, 12, 2, 14, 0, tzinfo=plan.zone)) is None
    problems = _problems({**copy.deepcopy(PLAN), "quiet_hours": {"start": "06:00", "end": "06:00"}})
    assert any("quiet_hours: start and end are the same time" in p for p in problems)


def test_a_team_needs_an_address_or_a_lead() -> None:
    team = {"code": "T", "name": "Tổ 1", "organizations": ["G1"]}
    problems = _problems({**copy.deepcopy(PLAN), "directing_teams": [team]})
    assert any("directing_teams[0]: give the team an email or a lead" in p for p in problems)
    bad = {**team, "email": "not-mail"}
    problems = _problems({**copy.deepcopy(PLAN), "directing_teams": [bad]})
    assert any(
        "directing_teams[0].email: 'not-mail' is not an e-mail address" in p for p in problems
    )
