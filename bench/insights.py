"""Plant formalism in a generated district and measure what `states.insights` finds: precision
and recall per signal, and seconds on SQLite. Prints tables.

    python bench/insights.py [MEMBERS] [SEED]      # default 20000 members

The district comes from the demo's generator (30 grassroots organizations, a cell per ~33
members), launched twice (last year's cycle, then this year's following it). Rows are written
in bulk, as a finished peer review and vote would leave them: honest reviews in each member's
own words (kiemdiem.demo.writing), and planted among them, within each grassroots organization,
reviews copied from a colleague's with 5–20% of their words edited; shortcomings copied from
last year's review of the same member with a word or two changed; cells rated all good with
unanimous votes; cells whose comments are only praise.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, select

from kiemdiem.demo.generate import generate
from kiemdiem.demo.writing import (
    EMPTY_PRAISE,
    copied_review,
    edit_words,
    honest_review,
    peer_comment,
)
from models import get_engine, init_db, load_settings, session_scope
from models.cycle import Comment, Level, SelfReview, Tally, Unit
from models.org_import import import_organizations
from models.organization import Organization
from states import launch, load_plan
from states.cycles import get_cycle, plan_of
from states.insights import comparison, forecast, formalism, load_rows, tracks

LEVELS = [Level.EXCELLENT, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED]
WEIGHTS = [0.15, 0.65, 0.17, 0.03]


def _launch(
    session: Session, plan_path: Path, code: str, previous: str | None, now: datetime
) -> None:
    data = yaml.safe_load(plan_path.read_text(encoding="utf-8"))
    data.update(code=code, previous_cycle=previous)
    path = plan_path.with_name(f"{code}.yaml")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    launch(session=session, plan=load_plan(path), now=now, settings=load_settings())


def _members(session: Session, code: str) -> list[tuple[int, str, int, int]]:
    """(unit id, unit code, cell id, author member id) of a cycle's member units."""
    cycle = get_cycle(session, code)
    return [
        (u.id, u.code, u.organization_id, u.member_id)  # type: ignore[misc]
        for u in session.exec(select(Unit).where(Unit.cycle_id == cycle.id, Unit.kind == "member"))
    ]


def _review_row(
    unit_id: int, author: int, at: datetime, review: Any, level: Level
) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "author_id": author,
        "submitted_at": at,
        "proposed_level": level,
        "strengths": review.strengths,
        "shortcomings": review.shortcoming,
        "remedies": review.remedies,
        "criteria_json": json.dumps({"results": review.criteria}, ensure_ascii=False),
        "shortcomings_json": "[]",
        "answers_json": "{}",
        "carried_json": "{}",
    }


def plant(session: Session, seed: int, now: datetime) -> dict[str, set[str]]:
    """Write both cycles' reviews, comments, levels and tallies; return the planted truth."""
    rng = random.Random(seed)
    truth: dict[str, set[str]] = defaultdict(set)
    last_year = _members(session, "BENCH-2025")
    this_year = _members(session, "BENCH-2026")
    directory_parent = {o.id: o.parent_id for o in session.exec(select(Organization))}
    previous: dict[str, Any] = {}
    rows = []
    for unit_id, code, _cell, author in last_year:
        previous[code] = honest_review(random.Random(f"{seed}:2025:{code}"))
        rows.append(
            _review_row(unit_id, author, now - timedelta(days=365), previous[code], Level.GOOD)
        )
    session.execute(insert(SelfReview), rows)

    cells: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    by_grassroots: dict[int, list[str]] = defaultdict(list)
    for unit_id, code, cell, author in this_year:
        cells[cell].append((unit_id, code, author))
        by_grassroots[directory_parent[cell] or cell].append(code)
    uniform = {c for c in cells if rng.random() < 0.03 and len(cells[c]) >= 5}
    hollow = {c for c in cells if rng.random() < 0.03 and len(cells[c]) >= 5} - uniform
    own = {code: honest_review(random.Random(f"{seed}:2026:{code}")) for _, code, _, _ in this_year}
    written = dict(own)
    for codes in by_grassroots.values():
        for code in codes:
            if rng.random() < 0.01:
                source = rng.choice([c for c in codes if c != code])
                written[code] = copied_review(rng, own[source], rng.uniform(0.05, 0.2))
                truth["copied_self_review"] |= {code, source}
    rows, levels, comments, tallies = [], [], [], []
    for cell, units in cells.items():
        for unit_id, code, author in units:
            review = written[code]
            if rng.random() < 0.02:
                # Last year's shortcoming and remedy again, a word or two changed.
                review = type(review)(
                    review.criteria,
                    review.strengths,
                    edit_words(rng, previous[code].shortcoming, 0.05),
                    review.cause,
                    edit_words(rng, previous[code].remedies, 0.05),
                )
                truth["copied_from_last_year"].add(code)
            level = Level.GOOD if cell in uniform else rng.choices(LEVELS, WEIGHTS)[0]
            rows.append(_review_row(unit_id, author, now - timedelta(days=10), review, level))
            levels.append({"b_id": unit_id, "level": level})
            voters = len(units) - 1
            if cell in uniform or rng.random() < 0.6:
                tallies += [
                    {"unit_id": unit_id, "round": r, "level": level, "count": voters}
                    for r in (1, 2)
                ]
            else:
                tallies.append(
                    {"unit_id": unit_id, "round": 1, "level": level, "count": voters - 2}
                )
                other = Level.COMPLETED if level is not Level.COMPLETED else Level.GOOD
                tallies.append({"unit_id": unit_id, "round": 1, "level": other, "count": 2})
            if cell in hollow:
                text = rng.choice(EMPTY_PRAISE)
            elif rng.random() < 0.05:
                continue  # no comment at all
            else:
                text = peer_comment(rng)
            comments.append({"unit_id": unit_id, "author_id": author, "at": now, "text": text})
        if cell in uniform:
            truth["uniform_levels"].add(str(cell))
            truth["all_top_levels"].add(str(cell))
            truth["unanimous_top_votes"].add(str(cell))
        if cell in hollow:
            truth["hollow_comments"].add(str(cell))
    session.execute(insert(SelfReview), rows)
    session.execute(insert(Comment), comments)
    session.execute(insert(Tally), tallies)
    table = Unit.__table__  # type: ignore[attr-defined]
    session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(proposed_level=bindparam("level"), state="approval"),
        levels,
    )
    return truth


def _found(signals: list[dict[str, Any]], name: str, by_cell: dict[str, int]) -> set[str]:
    out: set[str] = set()
    for s in signals:
        if s["signal"] != name:
            continue
        if name in ("copied_self_review", "copied_from_last_year"):
            out |= set(s["units"])
        else:
            out.add(str(by_cell[s["organization"]]))
    return out


def main(members: int = 20000, seed: int = 1) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kiemdiem-insights-"))
    district = generate(
        workdir, seed=seed, members=members, grassroots=30, cells=max(1, members // 33)
    )
    engine = get_engine(f"sqlite:///{workdir / 'bench.db'}")
    init_db(engine)
    now = datetime.fromisoformat("2026-12-08T08:00:00+07:00")
    mark = time.perf_counter()
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=district.organizations_csv,
            members_csv=district.members_csv,
        )
        _launch(session, district.plan_yaml, "BENCH-2025", None, now - timedelta(days=380))
        _launch(session, district.plan_yaml, "BENCH-2026", "BENCH-2025", now - timedelta(days=15))
        truth = plant(session, seed, now)
    setup = time.perf_counter() - mark

    timings: dict[str, float] = {}
    cpu = time.process_time()
    with Session(engine) as session:
        cycle = get_cycle(session, "BENCH-2026")
        mark = time.perf_counter()
        rows = load_rows(session, cycle)
        timings["read the rows"] = time.perf_counter() - mark
        mark = time.perf_counter()
        if "--profile" in sys.argv:
            import cProfile

            cProfile.runctx("formalism(rows)", globals(), locals(), sort="cumtime")
        signals = formalism(rows)
        timings["formalism"] = time.perf_counter() - mark
        mark = time.perf_counter()
        forecast(tracks(rows), now=now, plan=plan_of(cycle))
        timings["forecast"] = time.perf_counter() - mark
        mark = time.perf_counter()
        comparison(rows)
        timings["comparison"] = time.perf_counter() - mark
        cpu = time.process_time() - cpu
        by_cell = {o.code: o.id for o in rows.directory.orgs.values()}
    units = len(rows.units)
    print(
        f"\n{members} members, {units} units, {len(rows.reviews)} reviews (setup {setup:.0f} s)\n"
    )
    print("| signal | planted | found | precision | recall |")
    print("|---|---|---|---|---|")
    for name in (
        "copied_self_review",
        "copied_from_last_year",
        "uniform_levels",
        "all_top_levels",
        "unanimous_top_votes",
        "hollow_comments",
    ):
        planted, found = truth[name], _found(signals, name, by_cell)
        hit = len(planted & found)
        precision = f"{hit / len(found):.3f}" if found else "-"
        recall = f"{hit / len(planted):.3f}" if planted else "-"
        print(f"| {name} | {len(planted)} | {len(found)} | {precision} | {recall} |")
    print("\n| step | seconds |")
    print("|---|---|")
    for step, seconds in timings.items():
        print(f"| {step} | {seconds:.2f} |")
    print(f"| **all** | **{sum(timings.values()):.2f}** |")
    # On a shared machine the wall clock counts the others' work too; CPU time is ours alone.
    print(f"| all, CPU time of this process | {cpu:.2f} |")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3] if a.isdigit()))
