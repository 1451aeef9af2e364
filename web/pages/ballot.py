"""One voter's ballot: the confirmation says the vote was counted, never what it was."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import resolve_now
from models.cycle import Level
from states import vote
from states.links import unit_page
from states.people import Person
from states.views import ballot_view
from vocabulary import _
from web.auth import current_person
from web.db import Db
from web.pages._common import back, level_name, member_code, refusals, seen_by, worded
from web.render import render

router = APIRouter()
Who = Annotated[Person, Depends(current_person)]
PAGE = "/cycles/{cycle}/units/{unit}/ballot"


def _page(
    request: Request,
    session: Session,
    person: Person,
    cycle: str,
    unit: str,
    errors: list[str] | None = None,
) -> Response:
    view = seen_by(ballot_view, session, cycle, unit, member_code(person))
    if not view.may_vote and not view.already_voted and not errors:
        from models.errors import ActionRefused

        errors = worded(ActionRefused(*view.refusals))
    return render(
        request,
        "ballot.html",
        status_code=400 if errors and request.method == "POST" else 200,
        title=_("Ballot: %(name)s") % {"name": view.unit_name},
        b=view,
        errors=errors or [],
        done=request.query_params.get("done"),
        level_name=level_name,
        here=unit_page(cycle, unit) + "/ballot",
    )


@router.get(PAGE)
def ballot(request: Request, cycle: str, unit: str, person: Who, session: Db) -> Response:
    return _page(request, session, person, cycle, unit)


@router.post(PAGE)
def cast(
    request: Request,
    cycle: str,
    unit: str,
    person: Who,
    session: Db,
    level: Annotated[str, Form()] = "",
) -> Response:
    errors: list[str]
    try:
        chosen = Level(level)
    except ValueError:
        errors = [_("Choose one of the levels, then send your ballot.")]
    else:
        with refusals(session) as errors:
            vote(
                session=session,
                cycle_code=cycle,
                ballots={unit: chosen},
                actor_code=member_code(person),
                now=resolve_now(),
            )
    if errors:
        return _page(request, session, person, cycle, unit, errors)
    return back(unit_page(cycle, unit) + "/ballot", "counted")
