"""The cycle's clock: `--now`, else KIEMDIEM_NOW, else real time; always timezone-aware."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from models.errors import ConfigError


def parse_instant(text: str, *, where: str = "--now") -> datetime:
    """Parse an ISO 8601 instant; one without an offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{where}: {text!r} is not an ISO 8601 time; write e.g. 2026-12-02T08:00:00+07:00"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


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
