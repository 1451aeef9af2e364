"""One entry of Việc của tôi (states.tasks)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    cycle: str
    unit: str
    subject: str
    trigger: str
    what: str
    path: str
    due: str | None = None
    days_late: int = 0
    # Ladder steps already taken for this unit's stage (reminders, notices, escalations).
    step: int = 0
    # The next step of the ladder if it stays undone, as a sentence.
    if_late: str | None = None
    count: int = 1


__all__ = ["Task"]
