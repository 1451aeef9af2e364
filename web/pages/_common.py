"""What the process pages share: who the signed-in member is, refusals as a forbidden page,
the names of levels and states in the person's language."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi.responses import RedirectResponse
from sqlmodel import Session

from models.errors import ActionRefused, NotFound
from states.people import Person
from vocabulary import _
from vocabulary.names import LEVELS, STAGES, STATES, capitalized
from vocabulary.refusals import word
from web.auth import Forbidden

T = TypeVar("T")


def level_name(level: object) -> str:
    """A level's name (vocabulary.names: one table for mail, CLI, workbook and pages)."""
    value = getattr(level, "value", level)
    return LEVELS.name(str(value)) if value else "—"


def state_name(state: object) -> str:
    """A unit state's name, capitalized for a heading or a table cell."""
    return capitalized(STATES.name(str(getattr(state, "value", state))))


def stage_name(stage: str) -> str:
    """A stage's name (self-review, peer review, …), capitalized."""
    return capitalized(STAGES.name(stage))


def member_code(person: Person) -> str:
    """The signed-in member's code; an office acts on no unit."""
    if person.member_code is None:
        raise Forbidden(_("An organization's office watches the cycle; it does not act on units."))
    return person.member_code


def worded(exc: ActionRefused) -> list[str]:
    return [
        word(r, front="page")
        for r in exc.refusals
        if r.fields.get("text") != "Nothing was changed."
    ]


def seen_by(view: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A page's view, its refusal (this person may not see it) shown as a forbidden page."""
    try:
        return view(*args, **kwargs)
    except ActionRefused as exc:
        raise Forbidden(" ".join(worded(exc))) from None


@contextmanager
def refusals(session: Session) -> Iterator[list[str]]:
    """Collect an action's refusal as sentences for the form; whatever the refused action
    had begun is rolled back, so the page shows the form again with nothing changed."""
    found: list[str] = []
    try:
        yield found
    except ActionRefused as exc:
        session.rollback()
        found += worded(exc)


def back(path: str, done: str) -> RedirectResponse:
    """After a change: back to the page (post, redirect, get), saying what was done."""
    return RedirectResponse(f"{path}?done={done}", status_code=303)


__all__ = [
    "NotFound",
    "back",
    "level_name",
    "member_code",
    "refusals",
    "seen_by",
    "state_name",
    "worded",
]
