"""The meeting (secretary): comments and opinions received, opening and closing the vote (a
split vote starts a revote); who has voted, never how."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import resolve_now
from states import close_vote, give_opinion
from states.links import unit_page
from states.people import Person
from states.views import meeting_view, open_vote, record_comment
from vocabulary import _
from web.auth import current_person
from web.db import Db
from web.pages._common import back, level_name, member_code, refusals, seen_by, state_name
from web.render import render

router = APIRouter()
Who = Annotated[Person, Depends(current_person)]
PAGE = "/cycles/{cycle}/units/{unit}/meeting"


def _page(
    request: Request,
    session: Session,
    person: Person,
    cycle: str,
    unit: str,
    *,
    errors: list[str] | None = None,
    typed: dict[str, str] | None = None,
    outcome: str | None = None,
) -> Response:
    view = seen_by(meeting_view, session, cycle, unit, member_code(person))
    return render(
        request,
        "meeting.html",
        status_code=400 if errors else 200,
        title=_("Meeting: %(name)s") % {"name": view.unit_name},
        m=view,
        errors=errors or [],
        typed=typed or {},
        outcome=outcome,
        done=request.query_params.get("done"),
        level_name=level_name,
        state_name=state_name,
        here=unit_page(cycle, unit) + "/meeting",
    )


@router.get(PAGE)
def meeting(request: Request, cycle: str, unit: str, person: Who, session: Db) -> Response:
    return _page(request, session, person, cycle, unit)


@router.post(PAGE + "/comment")
def add_comment(
    request: Request,
    cycle: str,
    unit: str,
    person: Who,
    session: Db,
    speaker: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    me = member_code(person)
    with refusals(session) as errors:
        record_comment(
            session=session,
            cycle_code=cycle,
            unit_code=unit,
            actor_code=me,
            speaker_code=speaker or me,
            now=resolve_now(),
            text=text,
        )
    if errors:
        return _page(
            request,
            session,
            person,
            cycle,
            unit,
            errors=errors,
            typed={"speaker": speaker, "text": text},
        )
    return back(unit_page(cycle, unit) + "/meeting", "comment")


@router.post(PAGE + "/opinion")
def add_opinion(
    request: Request,
    cycle: str,
    unit: str,
    person: Who,
    session: Db,
    source: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    with refusals(session) as errors:
        give_opinion(
            session=session,
            cycle_code=cycle,
            unit_code=unit,
            source=source,
            actor_code=member_code(person),
            now=resolve_now(),
            text=text,
        )
    if errors:
        return _page(
            request,
            session,
            person,
            cycle,
            unit,
            errors=errors,
            typed={"source": source, "opinion": text},
        )
    return back(unit_page(cycle, unit) + "/meeting", "opinion")


@router.post(PAGE + "/open")
def open_the_vote(request: Request, cycle: str, unit: str, person: Who, session: Db) -> Response:
    with refusals(session) as errors:
        open_vote(
            session=session,
            cycle_code=cycle,
            unit_codes=[unit],
            actor_code=member_code(person),
            now=resolve_now(),
        )
    if errors:
        return _page(request, session, person, cycle, unit, errors=errors)
    return back(unit_page(cycle, unit) + "/meeting", "opened")


@router.post(PAGE + "/close")
def close_the_vote(request: Request, cycle: str, unit: str, person: Who, session: Db) -> Response:
    """Close the round: the level carried goes to approval; a split vote starts a revote."""
    with refusals(session) as errors:
        result = close_vote(
            session=session,
            cycle_code=cycle,
            unit_codes=[unit],
            actor_code=member_code(person),
            now=resolve_now(),
        )
    if errors:
        return _page(request, session, person, cycle, unit, errors=errors)
    outcome = result.outcomes[unit]
    return back(
        unit_page(cycle, unit) + "/meeting",
        "carried"
        if outcome.level and result.moved.get(unit, ("", ""))[1] == "approval"
        else "revote",
    )
