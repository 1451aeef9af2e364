"""The office: upload the organization files and the plan, see every validation error by file
and line, launch the cycle. All or nothing, by the same services the CLI uses."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session, select
from starlette.datastructures import UploadFile

from models import resolve_now
from models.errors import ActionRefused, ImportRejected, PlanInvalid
from models.org_import import import_organizations
from models.organization import Organization, OrgLevel
from states import launch, load_plan
from states.people import Person
from vocabulary import _
from web.auth import Forbidden, current_person
from web.db import Db, settings_of
from web.limits import FILE_BYTES
from web.pages._common import back, worded
from web.render import render

router = APIRouter()
Who = Annotated[Person, Depends(current_person)]


def _office(session: Session, person: Person) -> Organization:
    """The organization whose office this person is (or heads): a district or above."""
    code = person.office_of or person.leads
    org = (
        session.exec(select(Organization).where(Organization.code == code)).first()
        if code
        else None
    )
    if org is None or org.level not in (OrgLevel.DISTRICT, OrgLevel.PROVINCE):
        raise Forbidden(
            _(
                "Importing the organization tree and launching a cycle is the work of a district "
                "or province committee's office."
            )
        )
    return org


async def uploads(request: Request) -> dict[str, tuple[str, bytes]]:
    """Each uploaded file by its field: (its own file name, its bytes)."""
    form = await request.form()
    found: dict[str, tuple[str, bytes]] = {}
    for field, value in form.multi_items():
        if isinstance(value, UploadFile) and value.filename:
            content = await value.read(FILE_BYTES + 1)
            if len(content) > FILE_BYTES:
                raise Forbidden(_("A file over 20 MB is not accepted."))
            found[field] = (_safe_name(value.filename, field), content)
    return found


Files = Annotated[dict[str, tuple[str, bytes]], Depends(uploads)]


def _safe_name(name: str, fallback: str) -> str:
    base = re.sub(r"[^\w.\-]", "_", Path(name.replace("\\", "/")).name)[:80]
    return base if base.strip("._") else fallback


def _by_file(problems: list[str]) -> dict[str, list[str]]:
    """`file:line: what` grouped by file, in the order found."""
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        name, sep, rest = problem.partition(":")
        grouped.setdefault(name if sep else "", []).append(rest.strip() if sep else problem)
    return grouped


def _page(request: Request, org: Organization, **context: Any) -> Response:
    errors = context.pop("errors", {})
    return render(
        request,
        "office.html",
        status_code=400 if errors else 200,
        title=_("Office"),
        org=org,
        errors=errors,
        done=request.query_params.get("done"),
        **context,
    )


@router.get("/office")
def office(request: Request, person: Who, session: Db) -> Response:
    return _page(request, _office(session, person))


@router.post("/office/import")
def import_tree(request: Request, person: Who, session: Db, files: Files) -> Response:
    org = _office(session, person)
    if "organizations" not in files or "members" not in files:
        return _page(
            request, org, errors={"": [_("Choose both files: organizations and members.")]}
        )
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for field in ("organizations", "members"):
            name, content = files[field]
            if field == "members" and name == files["organizations"][0]:
                name = "members_" + name
            paths[field] = Path(tmp) / name
            paths[field].write_bytes(content)
        try:
            summary = import_organizations(
                session=session,
                organizations_csv=paths["organizations"],
                members_csv=paths["members"],
            )
        except ImportRejected as exc:
            session.rollback()
            return _page(request, org, errors=_by_file(exc.problems), what="import")
    del summary
    return back("/office", "imported")


@router.post("/office/launch")
def launch_cycle(request: Request, person: Who, session: Db, files: Files) -> Response:
    org = _office(session, person)
    if "plan" not in files:
        return _page(request, org, errors={"": [_("Choose the plan file.")]})
    name, content = files["plan"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            plan = load_plan(path)
            launching = session.exec(
                select(Organization).where(Organization.code == plan.launched_by)
            ).first()
            if launching is None or not launching.path.startswith(org.path):
                return _page(
                    request,
                    org,
                    errors={
                        name: [
                            _("launched_by: %(code)s is not %(org)s or an organization under it")
                            % {"code": plan.launched_by, "org": org.code}
                        ]
                    },
                )
            launch(session=session, plan=plan, now=resolve_now(), settings=settings_of(request))
        except PlanInvalid as exc:
            session.rollback()
            return _page(request, org, errors=_by_file(exc.problems), what="launch")
        except ActionRefused as exc:
            session.rollback()
            return _page(request, org, errors={name: worded(exc)}, what="launch")
    return back("/office", "launched")
