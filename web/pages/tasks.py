"""Việc của tôi (my tasks): a person's open actions across units and cycles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from models import resolve_now
from states.people import Person
from states.tasks import tasks_of
from vocabulary import _
from web.auth import current_person
from web.db import Db
from web.render import render

router = APIRouter()


@router.get("/")
def my_tasks(
    request: Request,
    person: Annotated[Person, Depends(current_person)],
    session: Db,
) -> Response:
    tasks = tasks_of(session, person, now=resolve_now())
    return render(request, "tasks.html", title=_("My tasks"), tasks=tasks)
