"""Opinions to give (a residence cell's head, an office's compiler) and review suggestions
(the committee above, its standing committee, the inspection commission)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import resolve_now
from states import give_opinion, suggest
from states.links import cycle_page, unit_page
from states.people import Person
from states.views import opinions_to_give, suggestion_targets, suggestion_view
from vocabulary import _
from web.auth import current_person
from web.db import Db, settings_of
from web.pages._common import back, member_code, refusals, seen_by
from web.pages.dashboard import plan_zone
from web.render import render

router = APIRouter()
Who = Annotated[Person, Depends(current_person)]


def _opinions(
    request: Request,
    session: Session,
    person: Person,
    cycle: str,
    unit: str | None,
    errors: dict[str, list[str]] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    asks = seen_by(opinions_to_give, session, cycle, member_code(person), unit)
    here = (unit_page(cycle, unit) if unit else cycle_page(cycle)) + "/opinions"
    # A refusal about an opinion no longer awaited (given meanwhile by someone else) has no
    # form left to stand beside: the page shows it above the opinions still to give.
    forms = {f"{a.unit}|{a.source}" for a in asks}
    others = [e for key, said in (errors or {}).items() if key not in forms for e in said]
    return render(
        request,
        "opinions.html",
        status_code=400 if errors else 200,
        title=_("Opinions to give"),
        asks=asks,
        cycle=cycle,
        errors=errors or {},
        other_errors=others,
        typed=typed or {},
        zone=plan_zone(session, cycle),
        done=request.query_params.get("done"),
        here=here,
    )


@router.get("/cycles/{cycle}/opinions")
def all_opinions(request: Request, cycle: str, person: Who, session: Db) -> Response:
    return _opinions(request, session, person, cycle, None)


@router.get("/cycles/{cycle}/units/{unit}/opinions")
def unit_opinions(request: Request, cycle: str, unit: str, person: Who, session: Db) -> Response:
    return _opinions(request, session, person, cycle, unit)


def _give(
    request: Request,
    session: Session,
    person: Person,
    cycle: str,
    page_unit: str | None,
    unit: str,
    source: str,
    text: str,
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
    key = f"{unit}|{source}"
    if errors:
        return _opinions(request, session, person, cycle, page_unit, {key: errors}, {key: text})
    here = (unit_page(cycle, page_unit) if page_unit else cycle_page(cycle)) + "/opinions"
    return back(here, "given")


@router.post("/cycles/{cycle}/opinions")
def give_any(
    request: Request,
    cycle: str,
    person: Who,
    session: Db,
    unit: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    return _give(request, session, person, cycle, None, unit, source, text)


@router.post("/cycles/{cycle}/units/{unit}/opinions")
def give_one(
    request: Request,
    cycle: str,
    unit: str,
    person: Who,
    session: Db,
    source: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    return _give(request, session, person, cycle, unit, unit, source, text)


@router.get("/cycles/{cycle}/suggestions/{org}")
def suggestion_list(request: Request, cycle: str, org: str, person: Who, session: Db) -> Response:
    """Every unit `org` decides that this person may still write a suggestion to."""
    targets = seen_by(suggestion_targets, session, cycle, member_code(person), org)
    return render(
        request,
        "suggestions_list.html",
        title=_("Review suggestions you may write"),
        cycle=cycle,
        org=org,
        targets=targets,
        zone=plan_zone(session, cycle),
        page_of=lambda unit: unit_page(cycle, unit) + "/suggestions",
    )


@router.get("/cycles/{cycle}/units/{unit}/suggestions")
def suggestions(request: Request, cycle: str, unit: str, person: Who, session: Db) -> Response:
    return _suggestions(request, session, person, cycle, unit)


def _suggestions(
    request: Request,
    session: Session,
    person: Person,
    cycle: str,
    unit: str,
    errors: list[str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    view = seen_by(suggestion_view, session, cycle, unit, member_code(person))
    return render(
        request,
        "suggestions.html",
        status_code=400 if errors else 200,
        title=_("Review suggestion: %(name)s") % {"name": view.unit_name},
        s=view,
        errors=errors or [],
        typed=typed or {},
        zone=plan_zone(session, cycle),
        done=request.query_params.get("done"),
        here=unit_page(cycle, unit) + "/suggestions",
    )


@router.post("/cycles/{cycle}/units/{unit}/suggestions")
def write_suggestion(
    request: Request,
    cycle: str,
    unit: str,
    person: Who,
    session: Db,
    text: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    with refusals(session) as errors:
        suggest(
            session=session,
            cycle_code=cycle,
            unit_codes=[unit],
            actor_code=member_code(person),
            now=resolve_now(),
            text=text,
            role=role or None,
            settings=settings_of(request),
        )
    if errors:
        return _suggestions(
            request, session, person, cycle, unit, errors, {"text": text, "role": role}
        )
    return back(unit_page(cycle, unit) + "/suggestions", "sent")
