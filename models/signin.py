"""Requests for a fresh sign-in link, kept to rate-limit them across every process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models._types import UTCDateTime


class SigninRequest(SQLModel, table=True):
    """One request for a fresh link: by whom (hashed address and client), and when.

    Hashes, not the address or IP: the table must not become a list of who tried."""

    __table_args__ = (
        Index("ix_signinrequest_address_at", "address_hash", "at"),
        Index("ix_signinrequest_client_at", "client_hash", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    address_hash: str = Field(max_length=64)
    client_hash: str = Field(max_length=64)


class UsedSigninLink(SQLModel, table=True):
    """A sign-in link already exchanged for a session: the hash of its per-link id (never the
    link), kept until the link would have expired anyway, so each link signs in once in
    every process sharing the database."""

    id_hash: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
