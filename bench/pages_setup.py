"""The district the pages benchmark (and its profiler) run against: a generated district
imported, its cycle launched and started (every unit in self-review), and in each cell one
member's review already submitted and taken to the vote, so that the cell's other members
both write their own self-review and vote on that cellmate's.

`prepare(work, database_url, people)` returns the cycle and, for each simulated person, their
member code, their self-review page and the ballot they may cast.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from kiemdiem.demo.generate import generate
from models import Level, Unit, get_engine, init_db, load_settings, session_scope
from models.org_import import import_organizations
from states import advance, launch, load_plan, submit_self_review
from states.cycles import begin_tick, get_cycle
from states.links import self_review, unit_page
from states.rule_set import load_rule_set

START = date(2026, 11, 23)
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LAUNCHED = datetime.combine(START, clock(8), tzinfo=ZONE)
RULES = "qd366-2025"


@dataclass(frozen=True)
class Person:
    code: str
    review: str  # the path of their self-review form
    ballot: str  # the path of the ballot on a cellmate's review


@dataclass(frozen=True)
class Prepared:
    cycle: str
    people: list[Person]
    members: int


def review_form(*, scored: bool = True) -> dict[str, str]:
    """What a member types into the self-review form (a page's field names)."""
    rules = load_rule_set(RULES)
    return {
        "level": "good",
        **({"score": "80"} if scored else {}),
        **{f"criteria.{i}": "Hoàn thành nhiệm vụ được giao." for i in range(len(rules.criteria))},
        "strengths": "Chủ động, trách nhiệm.",
    }


def prepare(work: Path, database_url: str, people: int, members: int = 2000) -> Prepared:
    district = generate(work, seed=7, members=members, start=START)
    engine = get_engine(database_url)
    init_db(engine)
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=district.organizations_csv,
            members_csv=district.members_csv,
        )
    with session_scope(engine) as session:
        launch(
            session=session,
            plan=load_plan(district.plan_yaml),
            now=LAUNCHED,
            settings=load_settings(),
        )
    with session_scope(engine) as session:
        cycle = get_cycle(session, district.cycle_code)
        begin_tick(session, cycle, LAUNCHED)
        advance(session=session, cycle=cycle, now=LAUNCHED)
    by_cell: dict[str, list[str]] = defaultdict(list)
    with district.members_csv.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if not row.get("leads") and not row.get("committees"):
                by_cell[row["organization_code"]].append(row["code"])
    code = district.cycle_code
    chosen: list[Person] = []
    subjects: list[str] = []
    for _cell, codes in sorted(by_cell.items()):
        if len(codes) < 3:
            continue
        subject, voters = codes[0], codes[1:]
        subjects.append(subject)
        ballot = unit_page(code, f"M:{subject}") + "/ballot"
        chosen += [Person(v, self_review(code, f"M:{v}"), ballot) for v in voters]
    form = review_form()
    scored = load_rule_set(RULES).scored
    with session_scope(engine) as session:
        for subject in subjects:
            submit_self_review(
                session=session,
                cycle_code=code,
                unit_code=f"M:{subject}",
                actor_code=subject,
                now=LAUNCHED,
                proposed_level=Level.GOOD,
                score=80 if scored else None,
                criteria={
                    name: form[f"criteria.{i}"]
                    for i, name in enumerate(load_rule_set(RULES).criteria)
                },
                strengths=form["strengths"],
            )
    with session_scope(engine) as session:
        # The meeting is past (comments recorded, the vote opened): what the secretary's page
        # does is benchmarked elsewhere; here the cellmates vote.
        for unit in session.exec(
            select(Unit).where(Unit.code.in_([f"M:{s}" for s in subjects]))  # type: ignore[attr-defined]
        ):
            unit.state = "vote"
            session.add(unit)
    # Spread over the cells (not all from the first ones), so ballots on one review are few.
    chosen.sort(key=lambda p: (by_cell_index(p, by_cell), p.code))
    if len(chosen) < people:
        raise SystemExit(f"the district has only {len(chosen)} people to simulate, not {people}")
    return Prepared(code, chosen[:people], district.members)


def by_cell_index(person: Person, by_cell: dict[str, list[str]]) -> int:
    for codes in by_cell.values():
        if person.code in codes:
            return codes.index(person.code)
    return 0


__all__ = ["LAUNCHED", "Person", "Prepared", "START", "ZONE", "prepare", "review_form"]
