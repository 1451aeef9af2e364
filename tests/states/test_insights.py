"""Insights: formalism signals, the forecast and comparable positions.

The text and pattern functions are pure and tested on rows made here; the whole path (import
with position groups, launch, reviews submitted through the service, `cycle_insights`) runs on
a real SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from kiemdiem.demo.writing import copied_review, honest_review
from models import Level, session_scope
from models.org_import import import_organizations
from models.organization import OrgLevel
from states import submit_self_review
from states.cycles import get_cycle, plan_of
from states.directory import Directory, OrgNode
from states.insights import (
    Text,
    Track,
    _text,
    at_risk,
    backtest,
    comparison,
    cycle_insights,
    empty_praise,
    forecast,
    formalism,
    load_rows,
    near_duplicates,
    normalise,
    tracks,
)
from states.insights._rows import CycleRows, ReviewText, UnitRow
from states.insights.formalism import level_patterns
from tests.factories import MEMBER_HEADER, ORGS, member, write_csv
from tests.states.helpers import CYCLE, act, launch_cycle, local, outbox, review_form, tick

# --- text ------------------------------------------------------------------------------------


def test_normalising_folds_case_spacing_and_composition_but_keeps_diacritics() -> None:
    decomposed = "Hoa\u0300n tha\u0300nh  NHIỆM\tvụ,\n đúng hạn!"
    assert normalise(decomposed) == "hoàn thành nhiệm vụ đúng hạn"
    assert normalise("nghỉ việc") != normalise("nghĩ việc")  # a different word, not a typo


def _words(review: Any) -> str:
    return " ".join(review.words)


def test_an_edited_copy_is_found_and_honest_reviews_of_the_same_form_are_not() -> None:
    rng = random.Random(7)
    honest = [honest_review(rng) for _ in range(200)]
    texts = [Text(f"M:{i}", "G1", _words(r)) for i, r in enumerate(honest)]
    texts.append(Text("M:copy", "G1", _words(copied_review(rng, honest[5], 0.2))))
    # The same copy in another organization is not compared with G1's reviews.
    texts.append(Text("M:away", "G2", _words(copied_review(rng, honest[9], 0.05))))
    found = near_duplicates(texts, threshold=0.85)
    assert [(m.a, m.b, m.group) for m in found] == [("M:5", "M:copy", "G1")]
    assert 0.85 <= found[0].similarity < 1


def test_a_tick_after_another_compares_only_what_is_new() -> None:
    # Every tick reads the cycle's reviews again; those already compared cost nothing twice.
    rng = random.Random(11)
    honest = [honest_review(rng) for _ in range(60)]
    texts = [Text(f"M:{i}", "G1", _words(r)) for i, r in enumerate(honest)]
    texts.append(Text("M:copy", "G1", _words(copied_review(rng, honest[3], 0.1))))
    first = near_duplicates(texts, threshold=0.85)
    computed = _text._similarity.cache_info().misses
    assert near_duplicates(texts, threshold=0.85) == first
    assert _text._similarity.cache_info().misses == computed
    texts.append(Text("M:copy2", "G1", _words(copied_review(rng, honest[7], 0.1))))
    again = near_duplicates(texts, threshold=0.85)
    assert {(m.a, m.b) for m in again} >= {(m.a, m.b) for m in first} | {("M:7", "M:copy2")}
    assert _text._similarity.cache_info().misses > computed


def test_an_organization_whose_reviews_did_not_change_is_not_recounted() -> None:
    # A tick where one organization got a new review counts shingles for that one only.
    rng = random.Random(13)
    honest = [honest_review(rng) for _ in range(40)]
    texts = [Text(f"M:{i}", f"G{i % 2}", _words(r)) for i, r in enumerate(honest)]
    texts.append(Text("M:copy", "G1", _words(copied_review(rng, honest[3], 0.1))))
    first = near_duplicates(texts, threshold=0.85)
    before = _text._in_group.cache_info()
    texts.append(Text("M:copy0", "G0", _words(copied_review(rng, honest[4], 0.1))))
    again = near_duplicates(texts, threshold=0.85)
    after = _text._in_group.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (1, 1)
    assert [(m.a, m.b) for m in first] == [("M:3", "M:copy")]
    assert [(m.a, m.b) for m in again] == [("M:4", "M:copy0"), ("M:3", "M:copy")]  # G0, G1


# --- rows made by hand for the patterns --------------------------------------------------


def _node(i: int, code: str, level: OrgLevel, parent: int | None, path: str) -> OrgNode:
    return OrgNode(i, code, code, level, parent, path, None, None)


def _rows(units: list[UnitRow], **parts: Any) -> CycleRows:
    nodes = [
        _node(1, "D", OrgLevel.DISTRICT, None, "/D/"),
        _node(2, "G1", OrgLevel.GRASSROOTS, 1, "/D/G1/"),
        *(_node(10 + c, f"C{c}", OrgLevel.CELL, 2, f"/D/G1/C{c}/") for c in range(8)),
    ]
    directory = Directory({n.id: n for n in nodes}, {n.code: n for n in nodes})
    rows = CycleRows(cycle=None, directory=directory, units=units)  # type: ignore[arg-type]
    for name, value in parts.items():
        setattr(rows, name, value)
    return rows


def _member(n: int, cell: int, level: Level | None, **values: Any) -> UnitRow:
    fields: dict[str, Any] = {
        "id": n,
        "code": f"M:{n}",
        "kind": "member",
        "org_id": 10 + cell,
        "member_id": n,
        "state": "approval",
        "proposed": level,
        "final": None,
        "name": f"Người {n}",
        "position": None,
        "position_group": None,
    }
    return UnitRow(**{**fields, **values})


LEVELS = [Level.EXCELLENT, Level.GOOD, Level.GOOD, Level.COMPLETED, Level.COMPLETED]


def test_a_cell_all_rated_good_is_flagged_against_a_lower_district_and_mixed_cells_are_not() -> (
    None
):
    units = [_member(c * 10 + i, c, LEVELS[(c + i) % 5]) for c in range(1, 8) for i in range(10)]
    units += [_member(100 + i, 0, Level.GOOD) for i in range(10)]  # cell C0: everyone good
    signals = level_patterns(_rows(units))
    by_name = {(s["signal"], s["organization"]) for s in signals}
    assert by_name == {("uniform_levels", "C0"), ("all_top_levels", "C0")}
    uniform = next(s for s in signals if s["signal"] == "uniform_levels")
    assert uniform["units"] == sorted(f"M:{100 + i}" for i in range(10))
    assert uniform["evidence"]["level"] == "good" and uniform["evidence"]["members"] == 10
    # 1 - (share of good district-wide) ** 10: unlikely by chance, not certain.
    share = uniform["evidence"]["district_share"]
    assert uniform["score"] == pytest.approx(1 - share**10, abs=1e-3)
    assert 0.9 < uniform["score"] < 1


def test_five_good_in_a_district_where_most_are_good_is_not_a_signal() -> None:
    units = [
        _member(c * 10 + i, c, Level.GOOD if i < 9 else Level.COMPLETED)
        for c in range(1, 8)
        for i in range(10)
    ]
    units += [_member(100 + i, 0, Level.GOOD) for i in range(5)]
    assert level_patterns(_rows(units)) == []  # 0.9 ** 5 is not rare enough to show


def test_unanimous_top_votes_read_stored_tallies_against_the_district() -> None:
    units = [_member(c * 10 + i, c, Level.GOOD) for c in range(1, 8) for i in range(10)]
    units += [_member(100 + i, 0, Level.GOOD) for i in range(10)]
    split = {1: {"good": 4, "completed": 2}}
    tallies = {u.id: split for u in units if u.org_id != 10}
    tallies |= {u.id: {1: {"excellent": 6}, 2: {"good": 6}} for u in units if u.org_id == 10}
    # A unit of C1 whose secret round is still open has no tally: it counts for nothing.
    del tallies[11]
    signals = [
        s for s in formalism(_rows(units, tallies=tallies)) if s["signal"].startswith("unan")
    ]
    assert [(s["organization"], len(s["units"]), s["evidence"]["rounds"]) for s in signals] == [
        ("C0", 10, 20)
    ]


def test_praise_only_and_missing_comments() -> None:
    assert empty_praise("Nhất trí.") and empty_praise("Đồng chí gương mẫu, hoàn thành TỐT.")
    assert not empty_praise("Tốt, nhưng cần làm rõ nguyên nhân chậm báo cáo tháng 5.")
    units = [_member(i, 0, Level.GOOD) for i in range(6)] + [
        _member(10 + i, 1, None) for i in range(6)
    ]
    comments = {0: ["Nhất trí."], 1: ["Tốt."], 2: ["Không có ý kiến"], 3: [], 4: ["Nhất trí"]}
    comments |= {10 + i: ["Đề nghị nêu rõ sản phẩm cụ thể trong năm."] for i in range(6)}
    hollow = [
        s for s in formalism(_rows(units, comments=comments)) if s["signal"] == "hollow_comments"
    ]
    assert len(hollow) == 1 and hollow[0]["organization"] == "C0"
    assert hollow[0]["evidence"]["missing"] == ["M:3", "M:5"]
    assert hollow[0]["score"] == 1.0


def test_shortcomings_copied_from_last_year_name_both_texts() -> None:
    units = [_member(1, 0, Level.GOOD), _member(2, 0, Level.GOOD)]
    last = "Có lúc chưa chủ động nghiên cứu nghị quyết, còn chậm nộp báo cáo tháng 5 cho chi bộ."
    reviews = {
        1: ReviewText("M:1", "…", last.replace("tháng 5", "tháng 6"), ""),
        2: ReviewText(
            "M:2", "…", "Phối hợp với đoàn thể trong vận động hiến đất còn chưa chặt chẽ.", ""
        ),
    }
    previous = {"M:1": ReviewText("M:1", "…", last, ""), "M:2": ReviewText("M:2", "…", last, "")}
    found = formalism(_rows(units, reviews=reviews, previous_reviews=previous))
    assert [(s["signal"], s["units"]) for s in found] == [("copied_from_last_year", ["M:1"])]
    assert found[0]["evidence"]["last_year"]["shortcomings"] == last


def test_position_groups_show_levels_and_outliers() -> None:
    levels = [Level.GOOD] * 8 + [Level.COMPLETED, Level.NOT_COMPLETED]
    units = [
        _member(i, i % 3, level, final=level, position_group="chu-tich-xa", position="Chủ tịch")
        for i, level in enumerate(levels)
    ]
    [group] = comparison(_rows(units))
    assert group["levels"] == {"excellent": 0, "good": 8, "completed": 1, "not_completed": 1}
    assert group["median"] == "good"
    # Two levels below the median is an outlier; one below, shared by one in ten, is not.
    assert [(o["unit"], o["level"], o["organization"]) for o in group["outliers"]] == [
        ("M:9", "not_completed", "C0")
    ]


# --- forecast ------------------------------------------------------------------------------


T0 = datetime(2026, 11, 10, 1, tzinfo=UTC)


def _track(org: str, n: int, done_day: int | None, due_day: int = 10) -> Track:
    done = T0 + timedelta(days=done_day) if done_day is not None else None
    return Track(f"M:{org}{n}", org, "self_review", T0, done, T0 + timedelta(days=due_day))


def _plan(engine: Engine) -> Any:
    with session_scope(engine) as session:
        return plan_of(get_cycle(session, CYCLE))


def test_the_forecast_warns_before_the_due_day_when_the_pace_will_not_make_it(
    launched: Engine,
) -> None:
    plan = _plan(launched)
    slow = [_track("S", n, 2 if n < 2 else None) for n in range(10)]  # 2 done in 6 days
    quick = [_track("Q", n, 1 + n // 2 if n < 8 else None) for n in range(10)]
    tracks = slow + quick
    rows = {r["organization"]: r for r in forecast(tracks, now=T0 + timedelta(days=6), plan=plan)}
    assert rows["S"]["at_risk"] and rows["S"]["pace_per_day"] == pytest.approx(2 / 6, abs=0.01)
    assert not rows["Q"]["at_risk"]
    # Six days in, the due day is four away: beyond the plan's 3 warning days, so not yet warned.
    assert not rows["S"]["warn"]
    later = {r["organization"]: r for r in forecast(tracks, now=T0 + timedelta(days=8), plan=plan)}
    assert later["S"]["warn"] and not later["Q"]["warn"]
    assert (
        forecast(tracks, now=T0 + timedelta(days=8), plan=plan, warning_days=1)[0]["warn"] is False
    )


def test_the_backtest_counts_misses_flagged_early_and_false_alarms(launched: Engine) -> None:
    plan = _plan(launched)
    tracks = [_track("S", n, 2 if n < 2 else 12) for n in range(10)]  # finishes late
    tracks += [_track("Q", n, 1 + n // 2) for n in range(10)]  # on time
    days = [T0 + timedelta(days=d) for d in range(12)]
    result = backtest(tracks, days=days, plan=plan)
    assert result["missed"] == 1 and result["missed_and_flagged_early"] == 1
    assert result["recall"] == 1.0


# --- the whole path on a real database ---------------------------------------------------


MEMBERS = [
    member("A1", "C1", leads="C1"),
    member("A2", "C1", leads="G1"),
    *(member(f"A{i}", "C1") for i in range(3, 9)),
    member("B1", "C2", leads="C2"),
    member("B2", "C2", leads="G2"),
    member("B3", "C2"),
    member("B4", "C2", leads="D"),
    member("E1", "C3", leads="C3"),
    member("E2", "C3"),
    member("PP", "P", leads="P"),
]
for m in MEMBERS:
    m["position_group"] = "bi-thu-chi-bo" if m["leads"] in ("C1", "C2", "C3") else ""


@pytest.fixture
def launched(engine: Engine, tmp_path: Path) -> Engine:
    orgs = write_csv(tmp_path / "organizations.csv", list(ORGS[0]), ORGS)
    members = write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "position_group"], MEMBERS)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs, members_csv=members)
    launch_cycle(engine, tmp_path, local("2026-11-10 08:00"))
    return engine


def test_a_copied_review_is_found_in_the_cycle_with_both_texts(launched: Engine) -> None:
    tick(launched, local("2026-11-11 08:00"))
    rng = random.Random(11)
    written = {f"A{i}": honest_review(rng) for i in range(3, 9)}
    written["A8"] = copied_review(rng, written["A4"], 0.1)
    for code, review in written.items():
        act(
            launched,
            submit_self_review,
            unit_code=f"M:{code}",
            actor_code=code,
            now=local("2026-11-11 09:00"),
            **review_form(
                criteria=dict.fromkeys(review_form()["criteria"], review.criteria),
                strengths=review.strengths,
            ),
        )
    with session_scope(launched) as session:
        cycle = get_cycle(session, CYCLE)
        result = cycle_insights(session=session, cycle=cycle, now=local("2026-11-18 08:00"))
    copied = [s for s in result["formalism"] if s["signal"] == "copied_self_review"]
    assert [(s["organization"], s["units"]) for s in copied] == [("G1", ["M:A4", "M:A8"])]
    assert written["A8"].strengths in copied[0]["evidence"]["texts"]["M:A8"]
    forecast_rows = {(r["organization"], r["stage"]): r for r in result["forecast"]}
    g1 = forecast_rows[("G1", "self_review")]
    # Six of G1's units done in a week, the rest due on 20 Nov: at risk, and two days ahead.
    assert g1["done"] == 6 and g1["at_risk"] and g1["warn"] and g1["due"] == "2026-11-20"
    assert not forecast_rows[("G2", "self_review")]["warn"]  # due 1 Dec: not yet
    [chairs] = result["comparison"]
    assert chairs["position_group"] == "bi-thu-chi-bo" and chairs["units"] == 6  # M: and L:


def test_the_committees_digest_warns_of_organizations_at_risk_before_the_due_day(
    launched: Engine,
) -> None:
    tick(launched, local("2026-11-11 08:00"))
    for i in range(3, 9):
        act(
            launched,
            submit_self_review,
            unit_code=f"M:A{i}",
            actor_code=f"A{i}",
            now=local("2026-11-11 09:00"),
            **review_form(),
        )
    # 24 Nov: G1's self-review three days late (the committee above is told), and its vote,
    # due tomorrow night, has not begun anywhere: warned now, before it is missed.
    tick(launched, local("2026-11-24 08:00"))
    digests = outbox(launched, "digest")
    assert digests
    warned = [m for m in digests if "Dự báo chậm tiến độ" in m.body_text]
    assert warned, [m.body_text for m in digests]
    [line] = [ln for ln in warned[0].body_text.splitlines() if ln.startswith("- G1:")]
    assert "biểu quyết xếp loại" in line and "hạn 2026-11-25" in line
    for m in digests:  # only where an organization is at risk; overdue ones are not "at risk"
        assert "- G2:" not in m.body_text


def test_the_digests_at_risk_rows_counted_in_sql_are_the_forecasts_warned_rows(
    launched: Engine,
) -> None:
    tick(launched, local("2026-11-11 08:00"))
    for i in range(3, 9):
        act(
            launched,
            submit_self_review,
            unit_code=f"M:A{i}",
            actor_code=f"A{i}",
            now=local("2026-11-11 09:00"),
            **review_form(),
        )
    tick(launched, local("2026-11-12 08:00"))
    warned_somewhere = False
    for day in ("2026-11-10 08:00", "2026-11-18 08:00", "2026-11-19 20:00", "2026-11-24 08:00"):
        now = local(day)
        with session_scope(launched) as session:
            cycle = get_cycle(session, CYCLE)
            rows = load_rows(session, cycle, texts=False)
            expected = [
                r for r in forecast(tracks(rows), now=now, plan=plan_of(cycle)) if r["warn"]
            ]
            assert at_risk(session=session, cycle=cycle, now=now) == expected, day
        warned_somewhere = warned_somewhere or bool(expected)
    assert warned_somewhere  # the comparison saw rows, not only empty lists
