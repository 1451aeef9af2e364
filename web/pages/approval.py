"""The approval desk of a committee: the group's proposed levels side by side, the cap and
the rule checks live (htmx) and on submit (without JS); confirm, lower with a reason, or
return for re-review, many units at once."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from models import resolve_now
from models.cycle import Level
from models.errors import ActionRefused
from states import approve, return_for_review
from states.links import approval as approval_path
from states.people import Person
from states.views import approval_view
from states.views.approval_desk import ApprovalDesk
from vocabulary import _
from vocabulary.names import KINDS, capitalized
from vocabulary.refusals import word
from web.auth import current_person
from web.db import Db, settings_of
from web.pages._common import back, level_name, member_code, refusals, seen_by
from web.render import render

router = APIRouter()
Who = Annotated[Person, Depends(current_person)]
PAGE = "/cycles/{cycle}/approval/{org}"


class DeskForm:
    """What the desk's form sent: the units ticked, each one's level, the reason."""

    def __init__(self, form: Any) -> None:
        self.units = [str(u) for u in form.getlist("unit")]
        self.levels: dict[str, Level] = {}
        for key, value in form.items():
            if key.startswith("level.") and value:
                try:
                    self.levels[key.removeprefix("level.")] = Level(str(value))
                except ValueError:
                    continue
        self.reason = str(form.get("reason") or "")
        # The committee's conclusions: one shortcoming per line, recorded for remediation.
        self.conclusions = [
            line.strip() for line in str(form.get("conclusions") or "").splitlines() if line.strip()
        ]
        self.action = str(form.get("action") or "check")


# Two fields per unit: a grassroots committee's desk of hundreds passes Starlette's default 1000.
MAX_FIELDS = 20_000


async def desk_form(request: Request) -> DeskForm:
    return DeskForm(await request.form(max_fields=MAX_FIELDS))


Sent = Annotated[DeskForm, Depends(desk_form)]


def _kind_name(kind: str) -> str:
    return capitalized(KINDS.name(kind))


def _checks(desk: ApprovalDesk) -> list[str]:
    return [word(p, front="page") for p in desk.problems]


def _desk(
    session: Session, person: Person, cycle: str, org: str, sent: DeskForm | None
) -> ApprovalDesk:
    return seen_by(
        approval_view,
        session,
        cycle,
        org,
        member_code(person),
        decisions=sent.levels if sent else None,
        reason=sent.reason if sent else None,
        only=sent.units if sent else None,
    )


def _page(
    request: Request,
    desk: ApprovalDesk,
    *,
    errors: list[str] | None = None,
    sent: DeskForm | None = None,
) -> Response:
    return render(
        request,
        "approval.html",
        status_code=400 if errors else 200,
        title=_("Approval: %(org)s") % {"org": desk.organization_name},
        d=desk,
        checks=_checks(desk),
        errors=errors or [],
        reason=sent.reason if sent else "",
        conclusions="\n".join(sent.conclusions) if sent else "",
        done=request.query_params.get("done"),
        level_name=level_name,
        kind_name=_kind_name,
        here=approval_path(desk.cycle, desk.organization),
    )


@router.get(PAGE)
def desk(request: Request, cycle: str, org: str, person: Who, session: Db) -> Response:
    return _page(request, _desk(session, person, cycle, org, None))


@router.post(PAGE + "/check")
def check(request: Request, cycle: str, org: str, person: Who, session: Db, sent: Sent) -> Response:
    """The cap and the rule checks for the decisions as they stand in the form (htmx)."""
    desk = _desk(session, person, cycle, org, sent)
    return render(
        request, "_approval_checks.html", d=desk, checks=_checks(desk), kind_name=_kind_name
    )


@router.post(PAGE)
def decide(
    request: Request, cycle: str, org: str, person: Who, session: Db, sent: Sent
) -> Response:
    me = member_code(person)
    _desk(session, person, cycle, org, sent)  # only the committee reaches the actions
    errors: list[str] = []
    if not sent.units:
        errors = [_("Tick at least one unit to decide.")]
    elif sent.action == "return":
        with refusals(session) as errors:
            return_for_review(
                session=session,
                cycle_code=cycle,
                unit_codes=sent.units,
                actor_code=me,
                now=resolve_now(),
                reason=sent.reason,
                settings=settings_of(request),
            )
    elif sent.action == "approve":
        with refusals(session) as errors:
            approve(
                session=session,
                cycle_code=cycle,
                unit_codes=sent.units,
                actor_code=me,
                now=resolve_now(),
                levels={u: sent.levels[u] for u in sent.units if u in sent.levels},
                reason=sent.reason or None,
                conclusions=sent.conclusions,
                settings=settings_of(request),
            )
    if errors or sent.action not in ("approve", "return"):
        return _page(request, _desk(session, person, cycle, org, sent), errors=errors, sent=sent)
    return back(approval_path(cycle, org), "returned" if sent.action == "return" else "decided")


__all__ = ["ActionRefused", "router"]
