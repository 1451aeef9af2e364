"""Reading a tick's final state message in tests."""

from __future__ import annotations

from typing import Any


def mail_said(state: Any) -> str:
    """The part of the run's final message about mail (the units' part follows it)."""
    return str(state.message).partition(". ")[0]
