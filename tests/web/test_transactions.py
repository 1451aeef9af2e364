"""A page's transaction is committed before its response leaves, never after."""

from __future__ import annotations

import importlib
from collections.abc import Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from web.app import page_modules
from web.db import db_session


def _sessions(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        if sub.call is db_session:
            yield sub
        yield from _sessions(sub)


def test_every_page_commits_before_it_answers() -> None:
    # FastAPI's default scope ends a yield dependency after the response is sent: a person
    # would be redirected to "submitted" while the commit is still to come (and may fail).
    modules = [importlib.import_module(name) for name in page_modules()]
    routers = [m.router for m in modules if hasattr(m, "router")]
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    uses = [(r.path, d) for r in routes for d in _sessions(r.dependant)]
    assert len({path for path, _ in uses}) >= 10  # the pages do use the session
    assert [path for path, d in uses if d.scope != "function"] == []
