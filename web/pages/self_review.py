"""The self-review form (tự kiểm điểm): the rule set's criteria, the score where it scores,
the proposed level, the suggestions to answer and last year's shortcomings to report on.

Save a draft or submit. A refused submit shows each problem beside its field with everything
typed kept; nothing is written. Who may write it is checked with the action's own guards.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

import states.links as links
from models import Level, resolve_now
from models.errors import ActionRefused, Refusal
from states.actions import ShortcomingInput, self_review_form, submit_self_review
from states.drafts import WRITABLE, load_draft, save_draft
from states.people import Person, may_act
from vocabulary import _
from vocabulary.names import LEVELS, STATES
from web.auth import Forbidden, current_person
from web.db import Db, settings_of
from web.render import refusals_by_field, render

router = APIRouter()

# Blank shortcoming rows offered beyond those already written.
SPARE_SHORTCOMINGS = 2


def _form_page(
    request: Request,
    view: dict[str, Any],
    values: dict[str, str],
    *,
    errors: dict[str, list[str]] | None = None,
    saved_at: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = list(range(1, max([0, *_rows(values)]) + SPARE_SHORTCOMINGS + 1))
    return render(
        request,
        "self_review.html",
        status_code=status_code,
        title=_("Self-review"),
        view=view,
        values=values,
        errors=errors or {},
        shortcoming_rows=rows,
        level_names=dict(LEVELS.items()),
        state_names=STATES,
        saved_at=saved_at,
        writable=view["state"] in WRITABLE,
    )


def _check(session: Session, person: Person, cycle: str, unit: str) -> None:
    if may_act(session, person, cycle_code=cycle, unit_code=unit, trigger="submit_self_review"):
        raise Forbidden()


@router.get("/cycles/{cycle}/units/{unit}/self-review")
def show(
    request: Request,
    cycle: str,
    unit: str,
    person: Annotated[Person, Depends(current_person)],
    session: Db,
    saved: bool = False,
    submitted: bool = False,
) -> Response:
    _check(session, person, cycle, unit)
    view = self_review_form(session, cycle, unit)
    draft = load_draft(session, person, cycle, unit)
    values: dict[str, str] = draft[0] if draft else {}
    saved_at = None
    if draft:
        zone = _zone(session, cycle)
        saved_at = draft[1].astimezone(zone).strftime("%d/%m/%Y %H:%M")
    return _form_page(
        request,
        view | {"just_saved": saved, "just_submitted": submitted},
        values,
        saved_at=saved_at,
    )


def _zone(session: Session, cycle: str) -> Any:
    from states.cycles import get_cycle, plan_of

    return plan_of(get_cycle(session, cycle)).zone


@router.post("/cycles/{cycle}/units/{unit}/self-review")
async def post(
    request: Request,
    cycle: str,
    unit: str,
    person: Annotated[Person, Depends(current_person)],
    session: Db,
) -> Response:
    posted = await request.form()
    values = {
        k: str(v) for k, v in posted.items() if k not in ("csrf_token", "do") and isinstance(v, str)
    }
    action = str(posted.get("do", "draft"))
    # The database work runs in a worker thread, as a plain page's does, not on the loop.
    return await run_in_threadpool(_handle, request, cycle, unit, person, session, values, action)


def _handle(
    request: Request,
    cycle: str,
    unit: str,
    person: Person,
    session: Session,
    values: dict[str, str],
    action: str,
) -> Response:
    _check(session, person, cycle, unit)
    view = self_review_form(session, cycle, unit)
    here = links.self_review(cycle, unit)
    now = resolve_now()
    try:
        if action == "submit":
            submit_self_review(
                session=session,
                cycle_code=cycle,
                unit_code=unit,
                actor_code=person.member_code or "",
                now=now,
                settings=settings_of(request),
                **_parsed(values, view),
            )
            return RedirectResponse(f"{here}?submitted=1", status_code=303)
        save_draft(
            session=session, who=person, cycle_code=cycle, unit_code=unit, form=values, now=now
        )
        return RedirectResponse(f"{here}?saved=1", status_code=303)
    except ActionRefused as refused:
        session.rollback()
        errors = refusals_by_field(_on_rows(refused, _rows(values)), with_unit=False)
        return _form_page(request, view, values, errors=errors, status_code=400)


def _rows(values: dict[str, str]) -> list[int]:
    """The form's shortcoming rows that hold anything, in order: the action numbers them
    1, 2, … in this order, the form by their row."""
    numbers = sorted(
        {
            int(k.split(".")[1])
            for k in values
            if k.startswith("shortcomings.") and k.count(".") == 2 and k.split(".")[1].isdigit()
        }
    )
    return [
        n
        for n in numbers
        if any(values.get(f"shortcomings.{n}.{part}", "").strip() for part in SHORTCOMING_PARTS)
    ]


SHORTCOMING_PARTS = ("text", "cause", "repeats")


def _on_rows(refused: ActionRefused, rows: list[int]) -> ActionRefused:
    """The action's shortcoming numbers as the form's rows."""
    moved = []
    for r in refused.refusals:
        if r.field and r.field.startswith("shortcomings."):
            n = int(r.field.split(".")[1])
            row = rows[n - 1] if 0 < n <= len(rows) else n
            r = dataclasses.replace(r, field=f"shortcomings.{row}", fields={**r.fields, "n": row})
        moved.append(r)
    return ActionRefused(*moved)


def _parsed(values: dict[str, str], view: dict[str, Any]) -> dict[str, Any]:
    """The form as the action takes it; what cannot even be read is refused by field."""
    problems: list[Refusal] = []
    level_text = values.get("level", "")
    level: Level | None = None
    try:
        level = Level(level_text)
    except ValueError:
        problems.append(Refusal("form_level_missing", field="level"))
    score: int | None = None
    if view["scored"] or values.get("score", "").strip():
        text = values.get("score", "").strip()
        if text:
            try:
                score = int(text)
            except ValueError:
                problems.append(
                    Refusal("form_score_not_a_number", field="score", fields={"text": text})
                )
    criteria = {name: values.get(f"criteria.{i}", "") for i, name in enumerate(view["criteria"])}
    shortcomings = []
    for n in _rows(values):  # spare rows left empty are not shortcomings
        repeats = values.get(f"shortcomings.{n}.repeats", "").strip()
        shortcomings.append(
            ShortcomingInput(
                text=values.get(f"shortcomings.{n}.text", "").strip(),
                cause=values.get(f"shortcomings.{n}.cause", "").strip(),
                repeats=int(repeats) if repeats.isdigit() else None,
            )
        )
    if problems:
        raise ActionRefused(*problems)
    assert level is not None
    return {
        "proposed_level": level,
        "score": score,
        "criteria": criteria,
        "strengths": values.get("strengths", ""),
        "remedies": values.get("remedies", ""),
        "shortcomings": shortcomings,
        "answers": {s["id"]: values.get(f"answers.{s['id']}", "") for s in view["suggestions"]},
        "carried": {
            c["id"]: values.get(f"carried.{c['id']}", "")
            for c in view["carried_over"]
            if c["needs_answer"]
        },
    }
