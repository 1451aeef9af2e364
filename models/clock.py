"""The cycle's clock: `--now`, else KIEMDIEM_NOW, else real time; always timezone-aware."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from models.errors import ConfigError
from vocabulary import _

# The instants the cycle's clock may show: every due time, ladder step and remedy date is
# computed from it by adding days, which must stay representable (and a cycle in year 1 or
# 9999 is a typo).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)


def parse_instant(text: str, *, where: str = "--now") -> datetime:
    """Parse an ISO 8601 instant; one without an offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
    except ValueError:
        raise ConfigError(
            _(
                "{where}: {text!r} is not an ISO 8601 time; write e.g. 2026-12-02T08:00:00+07:00"
            ).format(where=where, text=text)
        ) from None
    except OverflowError:  # 0001-01-01T00:00+07:00 is before the first instant of UTC
        value = datetime.min.replace(tzinfo=UTC)
    if not EARLIEST <= value <= LATEST:
        raise ConfigError(
            _("{where}: {text!r} is out of range; the clock runs from {first} to {last}").format(
                where=where, text=text, first=EARLIEST.year, last=LATEST.year
            )
        )
    return value


def resolve_now(explicit: str | datetime | None = None) -> datetime:
    """The current instant as the cycle sees it."""
    if isinstance(explicit, datetime):
        return explicit if explicit.tzinfo else explicit.replace(tzinfo=UTC)
    if explicit:
        return parse_instant(explicit)
    from_env = os.environ.get("KIEMDIEM_NOW")
    if from_env:
        return parse_instant(from_env, where="KIEMDIEM_NOW")
    return datetime.now(UTC)
