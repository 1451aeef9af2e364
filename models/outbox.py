"""The durable mail outbox: every mail is a row before it is a message on the wire."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from models._types import UTCDateTime, utcnow


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        # A cycle's mail by status (each tick's status counts it, lists failures, retries).
        Index("ix_outbox_cycle_status", "cycle_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Idempotency key: a key already here is never queued again.
    key: str = Field(unique=True, max_length=255)
    cycle_id: int | None = Field(default=None, foreign_key="cycle.id", index=True)
    kind: str = Field(max_length=32)
    recipient: str = Field(max_length=320)
    recipient_name: str = ""
    # How the recipient was found in the organization tree (see states.recipients).
    recipient_ref: str | None = Field(default=None, max_length=255)
    subject: str
    body_text: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    message_id: str = Field(max_length=255)
    status: MailStatus = MailStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When a failure digest to the launching office listed this failed mail.
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Mail queued as data (notifications.deferred): the template's context as JSON, rendered
    # at delivery; subject and bodies are empty in the row until then.
    payload: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
