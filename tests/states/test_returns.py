"""A unit returned for re-review: each return gets its own ladder, and opinions a new due date."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import Escalation, Level, Opinion, StageDeadline, Unit, load_settings, session_scope
from models.org_import import import_organizations
from states import return_for_review, submit_self_review
from tests.factories import MEMBER_HEADER, MEMBERS, ORGS, write_csv
from tests.states.helpers import act, launch_cycle, local, outbox, place, review_form, tick

LAUNCH = local("2026-11-10 08:00")


def _engine(engine: Engine, tmp_path: Path) -> Engine:
    members = [{**m, "residence": "C2" if m["code"] == "A3" else ""} for m in MEMBERS]
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=write_csv(tmp_path / "organizations.csv", list(ORGS[0]), ORGS),
            members_csv=write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "residence"], members),
        )
    launch_cycle(engine, tmp_path, LAUNCH)
    tick(engine, LAUNCH)
    return engine


def _return(engine: Engine, now: datetime) -> None:
    place(engine, "M:A3", "approval", proposed_level=Level.GOOD, score=80)
    act(
        engine,
        return_for_review,
        unit_codes=["M:A3"],
        actor_code="A2",  # heads G1, which approves C1's members
        now=now,
        reason="Còn hình thức.",
        settings=load_settings(),
    )


def _due(engine: Engine, stage: str) -> datetime:
    with Session(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == "M:A3")).one()
        return session.exec(
            select(StageDeadline.due_at).where(
                StageDeadline.unit_id == unit.id, StageDeadline.stage == stage
            )
        ).one()


def _told_of_a3(engine: Engine) -> int:
    return sum("M:A3" in m.body_text for m in outbox(engine, "overdue"))


def test_each_return_has_its_own_ladder(engine: Engine, tmp_path: Path) -> None:
    cycle = _engine(engine, tmp_path)
    _return(cycle, local("2026-11-12 08:00"))  # re-review due by the end of 19 Nov
    tick(cycle, local("2026-11-21 08:00"))  # a day after: A3 and its secretary are told
    first = _told_of_a3(cycle)
    assert first >= 1
    _return(cycle, local("2026-11-22 08:00"))  # returned again: due by the end of 29 Nov
    assert _due(cycle, "re_review") == local("2026-11-30 00:00")
    tick(cycle, local("2026-12-01 08:00"))
    assert _told_of_a3(cycle) > first  # the second re-review was escalated too
    with Session(cycle) as session:
        steps = session.exec(select(Escalation.stage, Escalation.step)).all()
    assert ("re_review", 1) in steps


def test_opinions_get_a_new_due_date_after_a_return(engine: Engine, tmp_path: Path) -> None:
    cycle = _engine(engine, tmp_path)
    act(cycle, submit_self_review, unit_code="M:A3", actor_code="A3", now=LAUNCH, **review_form())
    tick(cycle, local("2026-11-10 09:00"))  # C2 is asked
    tick(cycle, local("2026-11-25 08:00"))  # the pilots' peer review was due by 23 Nov
    with Session(cycle) as session:
        (opinion,) = session.exec(select(Opinion)).all()
    assert opinion.missing is True
    _return(cycle, local("2026-11-26 08:00"))
    with Session(cycle) as session:
        (opinion,) = session.exec(select(Opinion)).all()
    assert opinion.missing is False and opinion.asked_at is None
    assert opinion.due_at == _due(cycle, "peer_review") > local("2026-11-26 08:00")
    tick(cycle, local("2026-11-26 09:00"))  # asked again, for the new due date
    assert len(outbox(cycle, "opinion_request")) == 2
