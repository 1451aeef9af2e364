"""The committee dashboard: the cycles a person watches, per stage a progress bar and counts,
overdue units by organization with their ladder step, a unit's history, the Prefect UI's flow
runs, and the report workbook for the office."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from kiemdiem.report_xlsx import write_report
from models import resolve_now
from models.errors import ActionRefused
from states.cycles import get_cycle, plan_of
from states.directory import Directory
from states.people import Person, active_cycles
from states.report import cycle_report
from states.views import dashboard, unit_history
from states.views.dashboard import at_risk_view, scope_of
from vocabulary import _
from web.auth import Forbidden, current_person
from web.db import Db, settings_of
from web.pages._common import level_name, seen_by, stage_name, state_name
from web.render import render

router = APIRouter()
Who = Annotated[Person, Depends(current_person)]


def plan_zone(session: Session, cycle: str) -> ZoneInfo:
    """The cycle's time zone, for times shown on its pages."""
    return plan_of(get_cycle(session, cycle)).zone


def _day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _viewer(person: Person) -> dict[str, str | None]:
    return {"member_code": person.member_code, "office_of": person.office_of}


@router.get("/cycles")
def cycles(request: Request, person: Who, session: Db) -> Response:
    """The running cycles this person watches (each with its scope)."""
    directory = Directory.load(session)
    watched = []
    for cycle in active_cycles(session):
        try:
            scope = scope_of(session, cycle, directory, **_viewer(person))
        except ActionRefused:
            continue
        watched.append((cycle, scope))
    return render(request, "cycles.html", title=_("Cycles"), watched=watched)


@router.get("/cycles/{cycle}")
def cycle_page(request: Request, cycle: str, person: Who, session: Db) -> Response:
    now = resolve_now()
    board = seen_by(dashboard, session, cycle, now, **_viewer(person))
    ui = settings_of(request).prefect_ui_url
    return render(
        request,
        "dashboard.html",
        title=board.title,
        b=board,
        at_risk=at_risk_view(session, board.scope, cycle, now),
        plan=plan_of(get_cycle(session, cycle)),
        stage_name=stage_name,
        day=_day,
        prefect_runs=f"{ui.rstrip('/')}/runs" if ui else None,
    )


@router.get("/cycles/{cycle}/units/{unit}")
def unit_page(request: Request, cycle: str, unit: str, person: Who, session: Db) -> Response:
    history = seen_by(unit_history, session, cycle, unit, **_viewer(person))
    return render(
        request,
        "unit.html",
        title=unit,
        cycle=cycle,
        unit=unit,
        history=history,
        zone=plan_of(get_cycle(session, cycle)).zone,
        state_name=state_name,
        level_name=level_name,
    )


@router.get("/cycles/{cycle}/report.xlsx")
def report(cycle: str, person: Who, session: Db) -> Response:
    """The standing committee's workbook, for the office that watches the whole cycle."""
    found = get_cycle(session, cycle)
    scope = seen_by(scope_of, session, found, Directory.load(session), **_viewer(person))
    if not scope.whole_cycle:
        raise Forbidden(_("Only the launching committee's office downloads the cycle's report."))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.xlsx"
        write_report(cycle_report(session, cycle, resolve_now()), path)
        content = path.read_bytes()
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{found.code}-report.xlsx"'},
    )
