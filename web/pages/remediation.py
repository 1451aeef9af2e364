"""Remediation: owners report progress and evidence (and the remedy); the inspection
commission adds supervision notes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import resolve_now
from states import report_remediation, supervise
from states.links import remediation as remediation_path
from states.people import Person
from states.views import remediation_view
from vocabulary import _
from vocabulary.names import REMEDIATION_STATUSES
from web.auth import current_person
from web.db import Db
from web.pages._common import back, member_code, refusals, seen_by
from web.pages.dashboard import plan_zone
from web.render import render

router = APIRouter()
Who = Annotated[Person, Depends(current_person)]
PAGE = "/cycles/{cycle}/remediation"


def _page(
    request: Request,
    session: Session,
    person: Person,
    cycle: str,
    errors: dict[int, list[str]] | None = None,
    typed: dict[int, str] | None = None,
) -> Response:
    view = seen_by(remediation_view, session, cycle, member_code(person))
    return render(
        request,
        "remediation.html",
        status_code=400 if errors else 200,
        title=_("Remediation"),
        r=view,
        errors=errors or {},
        typed=typed or {},
        zone=plan_zone(session, cycle),
        done=request.query_params.get("done"),
        here=remediation_path(cycle),
        status_name=REMEDIATION_STATUSES.name,
    )


@router.get(PAGE)
def remediation(request: Request, cycle: str, person: Who, session: Db) -> Response:
    return _page(request, session, person, cycle)


@router.post(PAGE + "/{item}/progress")
def progress(
    request: Request,
    cycle: str,
    item: int,
    person: Who,
    session: Db,
    note: Annotated[str, Form()] = "",
    remedied: Annotated[str, Form()] = "",
) -> Response:
    with refusals(session) as errors:
        report_remediation(
            session=session,
            shortcoming_id=item,
            actor_code=member_code(person),
            now=resolve_now(),
            note=note,
            remedied=bool(remedied),
        )
    if errors:
        return _page(request, session, person, cycle, {item: errors}, {item: note})
    return back(remediation_path(cycle), "remedied" if remedied else "progress")


@router.post(PAGE + "/{item}/supervise")
def supervision(
    request: Request,
    cycle: str,
    item: int,
    person: Who,
    session: Db,
    note: Annotated[str, Form()] = "",
) -> Response:
    with refusals(session) as errors:
        supervise(
            session=session,
            shortcoming_id=item,
            actor_code=member_code(person),
            now=resolve_now(),
            note=note,
        )
    if errors:
        return _page(request, session, person, cycle, {item: errors}, {item: note})
    return back(remediation_path(cycle), "supervised")
