"""Driving the service layer in tests exactly as the CLI does: one transaction per call."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import (
    AuditEntry,
    Ballot,
    Comment,
    Level,
    Opinion,
    OutboxMessage,
    RemediationNote,
    SealedRound,
    SelfReview,
    Shortcoming,
    Suggestion,
    Tally,
    Unit,
    VoterRoll,
    load_settings,
    session_scope,
)
from models.org_import import import_organizations
from notifications import deferred
from states import advance, escalate, launch, load_plan
from states.cycles import begin_tick, get_cycle
from states.escalation import EscalationResult
from states.rule_set import load_rule_set
from tests.factories import MEMBER_HEADER, MEMBERS, ORG_HEADER, ORGS, write_csv, write_plan

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
CYCLE = "TT-2026"


def local(text: str) -> datetime:
    """A Hanoi wall-clock time, e.g. local('2026-11-19 08:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=HANOI)


def launch_cycle(engine: Engine, tmp_path: Path, now: datetime, **plan: Any) -> None:
    with session_scope(engine) as session:
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path, **plan)),
            now=now,
            settings=load_settings(),
        )


def tick(engine: Engine, now: datetime) -> tuple[dict[str, int], EscalationResult]:
    with session_scope(engine) as session:
        cycle = get_cycle(session, CYCLE)
        moved = advance(session=session, cycle=cycle, now=now)
    with session_scope(engine) as session:
        cycle = get_cycle(session, CYCLE)
        result = escalate(
            session=session,
            cycle=cycle,
            tick=begin_tick(session, cycle, now),
            now=now,
            settings=load_settings(),
        )
    return moved, result


def act(engine: Engine, action: Callable[..., Any], **kwargs: Any) -> Any:
    with session_scope(engine) as session:
        return action(session=session, cycle_code=CYCLE, **kwargs)


def state(engine: Engine, code: str) -> str:
    with Session(engine) as session:
        return session.exec(select(Unit.state).where(Unit.code == code)).one()


def snapshot(engine: Engine) -> tuple[Any, ...]:
    """Everything an action may write, to show a refused one wrote nothing."""
    with Session(engine) as session:
        return (
            sorted(
                (u.code, u.state, u.proposed_level, u.final_level)
                for u in session.exec(select(Unit))
            ),
            *(
                len(session.exec(select(table)).all())
                for table in (
                    AuditEntry,
                    Ballot,
                    VoterRoll,
                    Comment,
                    SelfReview,
                    Suggestion,
                    Opinion,
                    Shortcoming,
                    RemediationNote,
                    OutboxMessage,
                )
            ),
            sorted((t.unit_id, t.round, t.level, t.count) for t in session.exec(select(Tally))),
            sorted((r.unit_id, r.round, r.boxes) for r in session.exec(select(SealedRound))),
        )


def outbox(engine: Engine, kind: str | None = None) -> list[OutboxMessage]:
    """The outbox's rows, those queued as data rendered as delivery renders them (in memory:
    the rows are detached first, nothing is written back)."""
    with Session(engine) as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        rows = list(session.exec(query).all())
        session.expunge_all()
    deferred.fill(rows)
    return rows


SCORES = {Level.EXCELLENT: 92, Level.GOOD: 80, Level.COMPLETED: 60, Level.NOT_COMPLETED: 40}


def review_form(level: Level = Level.GOOD, **changes: Any) -> dict[str, Any]:
    """A complete self-review under the factory plan's rule set (qd366-2025): an answer per
    criterion and a score in the proposed level's band; `changes` replace any part."""
    rules = load_rule_set("qd366-2025")
    form: dict[str, Any] = {
        "proposed_level": level,
        "score": SCORES[level],
        "criteria": dict.fromkeys(rules.criteria, "Đạt yêu cầu, có sản phẩm cụ thể."),
        "strengths": "Hoàn thành các nhiệm vụ được giao.",
    }
    return {**form, **changes}


def place(engine: Engine, code: str, unit_state: str, **values: Any) -> None:
    """Arrange a unit directly in a state (e.g. approval with a proposed level and score), for
    tests of a later stage that do not need to replay the earlier ones."""
    with session_scope(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == code)).one()
        unit.state = unit_state
        for name, value in values.items():
            setattr(unit, name, value)
        session.add(unit)


def import_seated(engine: Engine, tmp_path: Path, seats: dict[str, str]) -> None:
    """The factories' district, each member in `seats` given that `committees` value."""
    members = [{**m, "committees": seats.get(m["code"], "")} for m in MEMBERS]
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=write_csv(tmp_path / "organizations.csv", ORG_HEADER, ORGS),
            members_csv=write_csv(
                tmp_path / "members.csv", [*MEMBER_HEADER, "committees"], members
            ),
        )
