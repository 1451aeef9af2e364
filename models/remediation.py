"""Shortcomings found in a cycle and the remediation of each, carried across years."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models._types import UTCDateTime


class RemediationStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    REMEDIED = "remedied"
    OVERDUE = "overdue"
    RECURRED = "recurred"

    @property
    def is_remedied(self) -> bool:
        return self is RemediationStatus.REMEDIED


class Shortcoming(SQLModel, table=True):
    """A shortcoming (hạn chế, khuyết điểm) recorded at approval, with its remediation item.

    From the unit's self-review (`source` "self_review") or the approving committee's
    conclusions ("conclusion"). A collective's shortcoming is split among named members: each
    owner gets a copy with `split_from_id` pointing at the original, which then has no owner
    of its own. A shortcoming with neither an owner nor copies blocks the collective's stage.
    """

    __table_args__ = (Index("ix_shortcoming_cycle_status", "cycle_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    # The unit's code: the same subject has the same code in every year's cycle.
    unit_code: str = Field(max_length=80, index=True)
    source: str = Field(max_length=16)
    text: str
    cause: str = ""
    owner_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    # Indexed: every tick asks, of its cycle's shortcomings, which ones were split (NOT EXISTS
    # on this column); unindexed, that reads every cycle's shortcomings.
    split_from_id: int | None = Field(default=None, foreign_key="shortcoming.id", index=True)
    # Last year's shortcoming this one carries over or records again.
    carried_from_id: int | None = Field(default=None, foreign_key="shortcoming.id")
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: RemediationStatus = RemediationStatus.OPEN
    recorded_at: datetime = Field(sa_type=UTCDateTime)
    remedied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RemediationNote(SQLModel, table=True):
    """Evidence from the owner, or a supervision note by the inspection commission."""

    id: int | None = Field(default=None, primary_key=True)
    shortcoming_id: int = Field(foreign_key="shortcoming.id", index=True)
    kind: str = Field(max_length=16)  # evidence | supervision
    author_id: int = Field(foreign_key="member.id")
    at: datetime = Field(sa_type=UTCDateTime)
    text: str
