"""Pages from Jinja2 templates (autoescaped) in the person's language, with the layout.

`render(request, "page.html", **context)` gives every template: `request`, `person` (or
None), `csrf_token` (put it in every form: `{{ csrf_field() }}`), `lang`, `links`
(`states.links`), `_`/`ngettext` (the one vocabulary) and `static(path)`.
`refusals_by_field(exc)` words an ActionRefused for a form: field name -> sentences, the
ones without a field under "" (shown at the top of the form).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

import states.links as links
from models.errors import NOTHING_CHANGED, ActionRefused
from vocabulary import _, current_language, ngettext
from vocabulary.names import LEVELS
from vocabulary.refusals import word

TEMPLATES = Path(__file__).parent / "templates"
# Refusal fields that hold a level's stored value.
LEVEL_FIELDS = frozenset({"level", "most", "proposed", "voted", "cap_level"})
STATIC = Path(__file__).parent / "static"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"], default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Called at render time, so each request gets its own language (a context variable).
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: _(message), lambda s, p, n: ngettext(s, p, n), newstyle=True
    )
    env.globals.update(links=links, static=lambda path: f"/static/{path}", quote=quote)
    return env


def csrf_token(request: Request) -> str:
    signer = request.app.state.signer
    token: str = signer.csrf_token(request.state.session["sid"])
    return token


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """The page `template` with the layout, in the request's language."""
    token = csrf_token(request)
    page = (
        environment()
        .get_template(template)
        .render(
            request=request,
            person=getattr(request.state, "person", None),
            csrf_token=token,
            csrf_field=lambda: Markup('<input type="hidden" name="csrf_token" value="{}">').format(
                token
            ),
            lang=current_language(),
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(page, status_code=status_code)


def refusals_by_field(exc: ActionRefused, *, with_unit: bool = True) -> dict[str, list[str]]:
    """Each refusal worded for a page, under its form field ("" for the form as a whole).

    `with_unit=False` leaves out the unit's code (a page about one unit); "Nothing was
    changed." is left to the page, which says it once."""
    found: dict[str, list[str]] = defaultdict(list)
    for refusal in exc.refusals:
        if refusal.code == NOTHING_CHANGED.code:
            continue
        shown = dataclasses.replace(
            refusal,
            unit=refusal.unit if with_unit else None,
            # A page names levels as people say them, where the CLI shows the values it takes.
            fields={
                k: LEVELS.name(v) if k in LEVEL_FIELDS and isinstance(v, str) else v
                for k, v in refusal.fields.items()
            },
        )
        found[refusal.field or ""].append(word(shown, front="page"))
    return dict(found)


def error_page(
    request: Request, *, status_code: int, title: str, explanation: str, next_steps: list[str]
) -> HTMLResponse:
    """A page that says what went wrong and what to do next (never a traceback)."""
    return render(
        request,
        "error.html",
        status_code=status_code,
        title=title,
        explanation=explanation,
        next_steps=next_steps,
    )


__all__ = ["environment", "error_page", "escape", "refusals_by_field", "render"]
