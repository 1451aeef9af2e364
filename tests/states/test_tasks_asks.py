"""Việc của tôi's tasks asked of a person: opinions to give, review suggestions they may write
(grouped per approving committee, with a count), shortcomings they supervise; and the fixed
number of statements `tasks_of` runs whatever the district's size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import Member, Shortcoming, Unit, get_engine, init_db, session_scope
from models.org_import import import_organizations
from states import submit_self_review, suggest
from states.links import opinions, remediation, suggestions, unit_page
from states.people import person
from states.tasks import Task, tasks_of
from states.views import suggestion_targets
from tests.factories import MEMBER_HEADER, MEMBERS, ORG_HEADER, ORGS, member, write_csv
from tests.states.helpers import CYCLE, act, launch_cycle, local, review_form, tick

pytestmark = pytest.mark.usefixtures("english")

LAUNCH = local("2026-11-10 08:00")
OFFICE = {"code": "VP", "name": "Văn phòng Huyện ủy", "email": "vp@example.vn"}


def _district(engine: Engine, tmp_path: Path, extra_cells: int = 0) -> Engine:
    """The factory district (A3 lives in C2's area), with `extra_cells` more cells of five
    members each under G2, each cell headed by its first member."""
    orgs, members = (
        list(ORGS),
        [{**m, "residence": "C2" if m["code"] == "A3" else ""} for m in MEMBERS],
    )
    for n in range(extra_cells):
        code = f"X{n}"
        orgs.append({**ORGS[-1], "code": code, "name": f"Chi bộ {code}", "parent_code": "G2"})
        members += [
            {**member(f"{code}M{i}", code, leads=code if i == 0 else ""), "residence": ""}
            for i in range(5)
        ]
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=write_csv(tmp_path / "organizations.csv", ORG_HEADER, orgs),
            members_csv=write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "residence"], members),
        )
    offices = [{**OFFICE, "organizations": ["G1"]}]
    launch_cycle(
        engine, tmp_path, LAUNCH, opinions={"offices": offices}, inspection_commission=["B3"]
    )
    tick(engine, LAUNCH)
    return engine


@pytest.fixture
def cycle(engine: Engine, tmp_path: Path) -> Engine:
    return _district(engine, tmp_path)


def _tasks(engine: Engine, key: str, trigger: str | None = None) -> list[Task]:
    with Session(engine) as session:
        found = tasks_of(session, person(session, key), now=LAUNCH)
    return [t for t in found if trigger is None or t.trigger == trigger]


def _submit(engine: Engine, unit: str, actor: str) -> None:
    act(engine, submit_self_review, unit_code=unit, actor_code=actor, now=LAUNCH, **review_form())


def test_the_residence_cells_head_is_asked_for_the_opinion(cycle: Engine) -> None:
    assert _tasks(cycle, "m:B1", "give_opinion") == []
    _submit(cycle, "O:C1", "A1")
    _submit(cycle, "M:A3", "A3")  # A3 lives in C2's area: C2's head gives its opinion
    (task,) = _tasks(cycle, "m:B1", "give_opinion")
    assert task.path == unit_page(CYCLE, "M:A3") + "/opinions" and task.count == 1
    assert task.due == "23/11/2026" and task.if_late and "missing" in task.if_late
    assert "Chi bộ thôn 2" in task.subject
    assert _tasks(cycle, "m:A1", "give_opinion") == []  # not C1's to give
    # Two leaders of G1 await the office's opinion; D's head compiles it (no named contact).
    _submit(cycle, "T:G1", "A2")
    _submit(cycle, "L:A2", "A2")
    _submit(cycle, "L:A1", "A1")
    (office,) = _tasks(cycle, "m:B4", "give_opinion")
    assert office.count == 2 and office.path == opinions(CYCLE)


def test_suggestions_are_one_task_per_approving_committee_with_a_count(cycle: Engine) -> None:
    (g2,) = _tasks(cycle, "m:B2", "suggest")  # B2 heads G2, which decides C2's and C3's units
    with Session(cycle) as session:  # the page the task links to lists the same units
        listed = [t.unit for t in suggestion_targets(session, CYCLE, "B2", "G2")]
    assert g2.count == len(listed) and g2.path == suggestions(CYCLE, "G2")
    assert {"O:C2", "O:C3", "M:B3", "M:E2"} <= set(listed)
    assert not {"M:B2", "L:B2", "M:A3"} & set(listed)  # B2's own; D decides L:B2; G1's
    assert g2.due == "01/12/2026" and g2.if_late
    # B4 heads the district: one task for each committee under it, never one per unit.
    groups = _tasks(cycle, "m:B4", "suggest")
    assert {t.unit for t in groups} >= {"G1", "G2"} and len(groups) <= 3
    assert _tasks(cycle, "m:A3", "suggest") == []  # a plain member writes none
    # Once B2 has written to a unit, it leaves the count.
    act(
        cycle,
        suggest,
        unit_codes=["M:B3"],
        actor_code="B2",
        now=LAUNCH,
        text="Làm rõ việc chậm báo cáo.",
        settings=__import__("models").load_settings(),
    )
    (after,) = _tasks(cycle, "m:B2", "suggest")
    assert after.count == g2.count - 1


def test_the_inspection_commission_supervises_open_shortcomings(cycle: Engine) -> None:
    assert _tasks(cycle, "m:B3", "supervise") == []
    with session_scope(cycle) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        owner = session.exec(select(Member).where(Member.code == "A3")).one()
        for text, status in (("Chậm nộp báo cáo.", "open"), ("Đã sửa.", "remedied")):
            session.add(
                Shortcoming(
                    cycle_id=unit.cycle_id,
                    unit_id=unit.id,
                    unit_code=unit.code,
                    source="conclusion",
                    text=text,
                    owner_id=owner.id,
                    recorded_at=LAUNCH,
                    due_at=local("2027-03-31 23:59"),
                    status=status,
                )
            )
    (task,) = _tasks(cycle, "m:B3", "supervise")  # B3 sits on the commission
    assert task.count == 1 and task.path == remediation(CYCLE) and task.due == "31/03/2027"
    assert _tasks(cycle, "m:B2", "supervise") == []


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _busy(engine: Engine) -> None:
    """Every kind of task at once for B4 (the district's head) and B2."""
    _submit(engine, "T:G1", "A2")
    _submit(engine, "L:A2", "A2")
    with session_scope(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:B4")).one()
        owner = session.exec(select(Member).where(Member.code == "B4")).one()
        session.add(
            Shortcoming(
                cycle_id=unit.cycle_id,
                unit_id=unit.id,
                unit_code=unit.code,
                source="conclusion",
                text="Chưa đôn đốc.",
                owner_id=owner.id,
                recorded_at=LAUNCH,
            )
        )


def test_tasks_of_runs_the_same_statements_on_a_small_and_a_larger_district(
    tmp_path: Path,
) -> None:
    counts = {}
    for cells in (0, 40):
        where = tmp_path / f"d{cells}"
        where.mkdir()
        engine = get_engine(f"sqlite:///{where / 'k.db'}")
        init_db(engine)
        _district(engine, where, extra_cells=cells)
        _busy(engine)
        for key in ("m:B4", "m:B2", "m:B3"):
            with Session(engine) as session:
                who = person(session, key)
                with _statements(engine) as seen:
                    found = tasks_of(session, who, now=LAUNCH)
            counts[(cells, key)] = (len(seen), {t.trigger for t in found})
        with Session(engine) as session:
            units = len(session.exec(select(Unit.id)).all())
        assert units > 150 or cells == 0
        engine.dispose()
    for key in ("m:B4", "m:B2", "m:B3"):
        assert counts[(0, key)] == counts[(40, key)], (key, counts)
    assert {"suggest", "give_opinion", "remediation"} <= counts[(40, "m:B4")][1]
    # The member and the tree read once for every kind of task (18 when each read its own).
    assert counts[(40, "m:B4")][0] <= 15, counts
