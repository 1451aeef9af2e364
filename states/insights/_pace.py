"""The forecast's figures counted by the database: what `forecast(tracks(load_rows(…)))`
finds, without a Python object per unit (a tick over a province warns committees of the
organizations at risk; reading 300,000 units' rows for it took most of the tick)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models.cycle import AuditEntry, Cycle, StageDeadline, Unit
from states.directory import Directory
from states.insights.forecast import BEYOND, LATE_SHOWN, Pace, group_forecast
from states.machine import STAGES
from states.plan import Plan

# More organizations than this are counted without naming them (an IN list that long costs
# more than it saves, and backends limit a statement's parameters).
_NAMED_ORGS = 2000


def _within(orgs: list[int]) -> Any:
    """The units of `orgs`, or every unit when they are too many to name."""
    return col(Unit.organization_id).in_(orgs) if len(orgs) <= _NAMED_ORGS else true()


def _first_entry(cycle: Cycle, states: list[str], orgs: list[int]) -> Any:
    """unit id -> when it first entered any of `states`, for the cycle's units in `orgs`."""
    return (
        sa_select(col(AuditEntry.unit_id).label("unit_id"), func.min(AuditEntry.at).label("at"))
        .join(Unit, col(Unit.id) == col(AuditEntry.unit_id))
        .where(col(Unit.cycle_id) == cycle.id, _within(orgs), col(AuditEntry.to_state).in_(states))
        .group_by(col(AuditEntry.unit_id))
        .subquery()
    )


def at_risk_rows(
    session: Session, cycle: Cycle, *, now: datetime, plan: Plan
) -> list[dict[str, Any]]:
    """The forecast rows to warn of at `now`, as `forecast` makes them, in its order."""
    directory = Directory.for_cycle(session, cycle)
    days = plan.forecast_warning_days
    out: list[dict[str, Any]] = []
    rollup: dict[int, str] = {}

    def group(org_id: int) -> str:
        code = rollup.get(org_id)
        if code is None:
            code = rollup[org_id] = directory.rollup(org_id).code
        return code

    for stage in STAGES:
        if stage not in BEYOND:
            continue
        # A group is warned only while its due time (its units' latest) is within the warning
        # days ahead, so some unit of it is due then: only those groups are counted.
        soon = sa_select(col(Unit.organization_id)).distinct()
        soon = soon.join(
            StageDeadline,
            and_(col(StageDeadline.unit_id) == col(Unit.id), col(StageDeadline.stage) == stage),
        ).where(
            col(Unit.cycle_id) == cycle.id,
            col(StageDeadline.due_at) > now,
            col(StageDeadline.due_at) <= now + timedelta(days=days),
        )
        groups = {group(org_id) for org_id in session.execute(soon).scalars()}
        if not groups:
            continue
        orgs = [org_id for org_id in directory.orgs if group(org_id) in groups]
        entered = _first_entry(cycle, [stage], orgs)
        done = _first_entry(cycle, BEYOND[stage], orgs)
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
            .where(col(Unit.cycle_id) == cycle.id, _within(orgs))
            .group_by(col(Unit.organization_id))
        )
        rolled: dict[str, list[Any]] = {}
        for org_id, units, finished, due, start in session.execute(per_org):
            code = group(org_id)
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
                    _within(orgs),
                    (done.c.at.is_(None)) | (done.c.at > now),
                )
            ):
                code = group(org_id)
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
