"""What the remediation modules share: statuses still open, the stage, split items, refusals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from models.errors import ActionRefused, Refusal
from models.organization import Member
from models.remediation import RemediationStatus, Shortcoming
from states.machine import STAGE_OF_STATE, UnitState

R = RemediationStatus
# Items someone is still working on; a recurred item's remediation continues in its successor.
OPEN = (R.OPEN, R.IN_PROGRESS, R.OVERDUE)
STAGE = STAGE_OF_STATE[UnitState.REMEDIATION]


# One alias for every statement: a fresh one per call built its column proxies again on first
# use, 0.8 ms a call, and remediation's statements and every tick's status ask it.
_COPY = aliased(Shortcoming)


def _split(item: Any = Shortcoming) -> ColumnElement[bool]:
    """SQL: `item` is an original that has been split among owners (its copies are the items)."""
    return exists().where(col(_COPY.split_from_id) == item.id)


def _refuse(problems: Sequence[str | Refusal]) -> None:
    if problems:
        raise ActionRefused(*problems, Refusal("nothing_changed"))


def _copies(session: Session, shortcoming_id: int) -> list[str]:
    """The owners an original was split among, each with the id of their part
    (`A1 (#15)`): the original keeps its id, and its parts point to it."""
    return [
        f"{code} (#{part})"
        for code, part in session.exec(
            select(Member.code, Shortcoming.id)
            .join(Shortcoming, col(Shortcoming.owner_id) == col(Member.id))
            .where(Shortcoming.split_from_id == shortcoming_id)
            .order_by(col(Member.code))
        ).all()
    ]


def split_originals() -> ColumnElement[bool]:
    """SQL over `Shortcoming`: an original split among owners (counted through its parts)."""
    return _split()
