"""The forecast's figures counted by the database: what `forecast(tracks(load_rows(…)))`
finds, without a Python object per unit (a tick over a province warns committees of the
organizations at risk; reading 300,000 units' rows for it took most of the tick)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models.cycle import AuditEntry, Cycle, StageDeadline, Unit
from states.directory import Directory
from states.insights.forecast import BEYOND, LATE_SHOWN, Pace, group_forecast
from states.machine import STAGES
from states.plan import Plan


def _first_entry(cycle: Cycle, states: list[str]) -> Any:
    """unit id -> when it first entered any of `states`, for the cycle's units."""
    return (
        sa_select(col(AuditEntry.unit_id).label("unit_id"), func.min(AuditEntry.at).label("at"))
        .join(Unit, col(Unit.id) == col(AuditEntry.unit_id))
        .where(col(Unit.cycle_id) == cycle.id, col(AuditEntry.to_state).in_(states))
        .group_by(col(AuditEntry.unit_id))
        .subquery()
    )


def at_risk_rows(
    session: Session, cycle: Cycle, *, now: datetime, plan: Plan
) -> list[dict[str, Any]]:
    """The forecast rows to warn of at `now`, as `forecast` makes them, in its order."""
    directory = Directory.load(session)
    days = plan.forecast_warning_days
    out: list[dict[str, Any]] = []
    for stage in STAGES:
        if stage not in BEYOND:
            continue
        entered, done = _first_entry(cycle, [stage]), _first_entry(cycle, BEYOND[stage])
        per_org = (
            sa_select(
                col(Unit.organization_id),
                func.count(),
                func.sum(case((done.c.at <= now, 1), else_=0)),
                func.max(StageDeadline.due_at),
                func.min(case((entered.c.at <= now, entered.c.at), else_=None)),
            )
            .join(
                StageDeadline,
                and_(col(StageDeadline.unit_id) == col(Unit.id), col(StageDeadline.stage) == stage),
            )
            .outerjoin(entered, entered.c.unit_id == col(Unit.id))
            .outerjoin(done, done.c.unit_id == col(Unit.id))
            .where(col(Unit.cycle_id) == cycle.id)
            .group_by(col(Unit.organization_id))
        )
        rolled: dict[str, list[Any]] = {}
        for org_id, units, finished, due, start in session.execute(per_org):
            code = directory.rollup(org_id).code
            sums = rolled.setdefault(code, [0, 0, due, start])
            sums[0] += units
            sums[1] += finished or 0
            sums[2] = max(sums[2], due)
            sums[3] = start if sums[3] is None else min(sums[3], start or sums[3])
        warned: dict[str, dict[str, Any]] = {}
        for code, (units, finished, due, start) in rolled.items():
            row = group_forecast(
                Pace(code, stage, units, finished, due, _aware(start)),
                now=now,
                plan=plan,
                days=days,
            )
            if row is not None and row["warn"]:
                warned[code] = row
        if warned:
            late: dict[str, list[str]] = defaultdict(list)
            for org_id, unit_code in session.execute(
                sa_select(col(Unit.organization_id), col(Unit.code))
                .join(
                    StageDeadline,
                    and_(
                        col(StageDeadline.unit_id) == col(Unit.id),
                        col(StageDeadline.stage) == stage,
                    ),
                )
                .outerjoin(done, done.c.unit_id == col(Unit.id))
                .where(
                    col(Unit.cycle_id) == cycle.id,
                    (done.c.at.is_(None)) | (done.c.at > now),
                )
            ):
                code = directory.rollup(org_id).code
                if code in warned:
                    late[code].append(unit_code)
            for code, warning in warned.items():
                warning["late_units"] = sorted(late[code])[:LATE_SHOWN]
        out += warned.values()
    return sorted(out, key=lambda r: (r["organization"], STAGES.index(r["stage"])))


def _aware(value: datetime | None) -> datetime | None:
    """min() over a CASE loses the column's type on some dialects: make it aware again."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
