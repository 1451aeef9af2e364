"""Dates and times as people read them: dd/mm/yyyy in the plan's zone (Asia/Ho_Chi_Minh),
through babel.dates; a stored UTC instant is never shown as UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from vocabulary import current_language

ZONE = "Asia/Ho_Chi_Minh"
DAY = "dd/MM/yyyy"
MOMENT = "dd/MM/yyyy HH:mm"


def _local(instant: datetime, zone: str | ZoneInfo) -> datetime:
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    # The database keeps UTC; a naive value read back from SQLite is UTC too.
    aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return aware.astimezone(tz)


def day(value: date | datetime, zone: str | ZoneInfo = ZONE) -> str:
    """`value` as dd/mm/yyyy; an instant is first moved into `zone`."""
    from babel.dates import format_date

    local = _local(value, zone).date() if isinstance(value, datetime) else value
    return format_date(local, DAY, locale=current_language())


def iso_day(iso: str | None) -> str:
    """A day kept as ISO text (a forecast's, in JSON for machines) as dd/mm/yyyy; "" for none."""
    return day(date.fromisoformat(iso)) if iso else ""


def moment(instant: datetime, zone: str | ZoneInfo = ZONE) -> str:
    """`instant` as dd/mm/yyyy HH:mm in `zone`."""
    from babel.dates import format_datetime

    local = _local(instant, zone)
    return format_datetime(local, MOMENT, tzinfo=local.tzinfo, locale=current_language())


__all__ = ["DAY", "MOMENT", "ZONE", "day", "iso_day", "moment"]
