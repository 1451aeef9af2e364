"""Deadlines forecast before they are missed: per organization and stage, the pace so far,
the day it projects to finish on, the due day, and whether it is at risk.

An organization is a grassroots one (the counts of its cells roll up to it, as overdue does).
Everything is read from when each unit first entered each state (the audit), so the same
function tells what the forecast was on any earlier day: the backtest replays a finished cycle
day by day and compares what was forecast with what happened.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from states.cycles import local_day
from states.insights._rows import CycleRows
from states.machine import STAGES, UnitState
from states.plan import Plan

_ORDER = [
    UnitState.PLAN_ISSUED,
    UnitState.SELF_REVIEW,
    UnitState.PEER_REVIEW,
    UnitState.VOTE,
    UnitState.APPROVAL,
    UnitState.PUBLISHED,
    UnitState.REMEDIATION,
    UnitState.CLOSED,
]
# The states a unit has reached once it is done with each stage.
BEYOND = {
    stage: [s.value for s in _ORDER[_ORDER.index(UnitState(stage)) + 1 :]] for stage in STAGES
}
# A pace measured over less than this would promise anything after the first hour.
MIN_ELAPSED = timedelta(days=1)


@dataclass(frozen=True)
class Track:
    """One unit in one stage: when it entered it, when it was done with it, when it is due."""

    unit_code: str
    organization: str
    stage: str
    entered: datetime | None
    done: datetime | None
    due: datetime


def tracks(rows: CycleRows) -> list[Track]:
    out = []
    for unit in rows.units:
        entered = rows.entered.get(unit.id, {})
        org = rows.directory.rollup(unit.org_id).code
        for stage, due in rows.due.get(unit.id, {}).items():
            if stage not in BEYOND:
                continue
            done = [entered[s] for s in BEYOND[stage] if s in entered]
            out.append(
                Track(unit.code, org, stage, entered.get(stage), min(done, default=None), due)
            )
    return out


def forecast(
    all_tracks: list[Track], *, now: datetime, plan: Plan, warning_days: int | None = None
) -> list[dict[str, Any]]:
    """Each organization and stage not yet done at `now`: pace, projection, due, at risk.

    `warn` is set from `warning_days` (the plan's `forecast_warning_days`) before the due day
    until it passes: the committee is told in time to act, not after.
    """
    days = plan.forecast_warning_days if warning_days is None else warning_days
    grouped: dict[tuple[str, str], list[Track]] = defaultdict(list)
    for t in all_tracks:
        grouped[(t.organization, t.stage)].append(t)
    out = []
    for (org, stage), ts in sorted(
        grouped.items(), key=lambda kv: (kv[0][0], STAGES.index(kv[0][1]))
    ):
        starts = [t.entered for t in ts if t.entered is not None and t.entered <= now]
        row = group_forecast(
            Pace(
                organization=org,
                stage=stage,
                units=len(ts),
                done=sum(t.done is not None and t.done <= now for t in ts),
                due=max(t.due for t in ts),
                first_start=min(starts, default=None),
            ),
            now=now,
            plan=plan,
            days=days,
        )
        if row is not None:
            row["late_units"] = sorted(t.unit_code for t in ts if t.done is None or t.done > now)[
                :LATE_SHOWN
            ]
            out.append(row)
    return out


# The late units a forecast row names (the rest are counted, not listed).
LATE_SHOWN = 20


@dataclass(frozen=True)
class Pace:
    """One organization and stage at `now`: its units, those done, the last due time, and
    when the first of them entered the stage (None: none has yet)."""

    organization: str
    stage: str
    units: int
    done: int
    due: datetime
    first_start: datetime | None


def group_forecast(pace: Pace, *, now: datetime, plan: Plan, days: int) -> dict[str, Any] | None:
    """The forecast row of one organization and stage (without its late units), or None if
    there is nothing to say: all done, or not begun and not yet due soon."""
    remaining = pace.units - pace.done
    if remaining == 0:
        return None
    rate = 0.0
    projected: datetime | None = None
    if pace.first_start is not None:
        elapsed = max(now - pace.first_start, MIN_ELAPSED)
        rate = pace.done / (elapsed / timedelta(days=1))
        if rate > 0:
            projected = now + timedelta(days=remaining / rate)
    elif pace.due - now > timedelta(days=days):
        return None  # the stage has not begun here and is not yet due soon
    at_risk = projected is None or projected > pace.due
    return {
        "organization": pace.organization,
        "stage": pace.stage,
        "units": pace.units,
        "done": pace.done,
        "pace_per_day": round(rate, 2),
        "projected": local_day(projected, plan).isoformat() if projected else None,
        "due": local_day(pace.due, plan).isoformat(),
        "at_risk": at_risk,
        "warn": at_risk and pace.due - timedelta(days=days) <= now < pace.due,
        "late_units": [],
    }


def backtest(
    all_tracks: list[Track],
    *,
    days: list[datetime],
    plan: Plan,
    lead: timedelta = timedelta(days=2),
) -> dict[str, Any]:
    """Replay the forecast on each of `days`: of the organization-stages that missed their due
    time, how many were flagged at risk at least `lead` before it; of those flagged that
    early, how many finished on time anyway."""
    grouped: dict[tuple[str, str], list[Track]] = defaultdict(list)
    for t in all_tracks:
        grouped[(t.organization, t.stage)].append(t)
    missed = {
        key for key, ts in grouped.items() if any(t.done is None or t.done > t.due for t in ts)
    }
    due = {key: max(t.due for t in ts) for key, ts in grouped.items()}
    flagged: set[tuple[str, str]] = set()
    for day in days:
        for row in forecast(all_tracks, now=day, plan=plan):
            key = (row["organization"], row["stage"])
            if row["at_risk"] and day <= due[key] - lead:
                flagged.add(key)
    caught = missed & flagged
    return {
        "organization_stages": len(grouped),
        "missed": len(missed),
        "flagged_early": len(flagged),
        "missed_and_flagged_early": len(caught),
        "flagged_but_on_time": len(flagged - missed),
        "recall": round(len(caught) / len(missed), 3) if missed else None,
        "precision": round(len(caught) / len(flagged), 3) if flagged else None,
        "lead_days": lead / timedelta(days=1),
    }
