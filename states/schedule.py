"""When `kiemdiem serve` runs each cycle's morning tick: once a day, at the configured local
hour, for every cycle still running (its earlier cycles are ticked along by its own tick).

Read from the ticks already recorded, so a restart, or a second process serving the same
database, does not tick a cycle twice the same morning.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from models.cycle import Tick
from states.people import active_cycles


def last_morning(now: datetime, *, hour: int, zone: str) -> datetime:
    """The latest instant at `hour` local time that is not after `now`."""
    local = now.astimezone(ZoneInfo(zone))
    today = datetime.combine(local.date(), time(hour), tzinfo=ZoneInfo(zone))
    return today if local >= today else today - timedelta(days=1)


def cycles_due(session: Session, now: datetime, *, hour: int, zone: str) -> list[str]:
    """Codes of running cycles whose last tick was before this morning's tick time."""
    cycles = active_cycles(session)
    followed = {c.previous_cycle_id for c in cycles if c.previous_cycle_id is not None}
    roots = [c for c in cycles if c.id not in followed]
    if not roots:
        return []
    latest = dict(
        session.exec(
            select(Tick.cycle_id, func.max(Tick.now))
            .where(col(Tick.cycle_id).in_([c.id for c in roots]))
            .group_by(col(Tick.cycle_id))
        ).all()
    )
    morning = last_morning(now, hour=hour, zone=zone)
    due = []
    for cycle in roots:
        last = latest.get(cycle.id or 0)
        if last is None or last < morning:
            due.append(cycle.code)
    return due


__all__ = ["cycles_due", "last_morning"]
