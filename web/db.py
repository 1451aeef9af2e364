"""The database session of one request: one transaction, committed when the page is done."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from models import get_engine, session_scope
from models.settings import Settings


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def db_session(request: Request) -> Iterator[Session]:
    """A session in one transaction: committed after the page, rolled back on any error, so a
    refused or failed action changes nothing."""
    with session_scope(get_engine(settings_of(request).database_url)) as session:
        yield session


# Committed when the page's function returns, before the response leaves: FastAPI's default
# scope ("request") would commit after the response is sent, so a person could be told
# "submitted" (a 303) while the commit is still to come, or fails.
Db = Annotated[Session, Depends(db_session, scope="function")]
