"""Signing in and out: a mail's link exchanged, once, for a session (its GET only shows the
button that does it), a fresh link by e-mail, the
language of the pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from models import resolve_now
from models.errors import NotFound
from states.people import Person, person
from states.signin import LinkGrant, link_was_used, request_link, use_link
from vocabulary import LANGUAGES, _
from web.auth import LANG_COOKIE, LinkProblem, new_session, set_session, signed_in_key
from web.db import Db, settings_of
from web.render import error_page, render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path of this site: never send someone on to another one after signing in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    # Browsers drop tabs and newlines from an address: "/\t/evil.example" would be "//evil…".
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    return target


def _link_page(request: Request, session: Session, token: str) -> tuple[LinkGrant, Person | None]:
    """The link's grant, and the person when this browser still needs signing in (None when
    it is already signed in as them); refuses someone else's link or an unknown person."""
    grant: LinkGrant = request.app.state.signer.read_link(token)
    current = signed_in_key(request)
    if current == grant.person_key:
        return grant, None
    if current is not None:
        raise LinkProblem("foreign")
    try:
        return grant, person(session, grant.person_key)
    except NotFound:
        raise LinkProblem("tampered") from None


def _used(request: Request, next: str) -> Response:
    """A link used already: say so, and offer a fresh one (same answer for any address)."""
    return render(
        request,
        "signin.html",
        status_code=410,
        title=_("This sign-in link has already been used"),
        next=safe_next(next),
        sent=False,
        used=True,
        email="",
    )


@router.get("/signin/{token}")
def open_link(request: Request, token: str, session: Db, next: str = "/") -> Response:
    """Only a page with one button: a mail scanner that fetches the link uses nothing up."""
    grant, who = _link_page(request, session, token)
    if who is None:
        return RedirectResponse(safe_next(next), status_code=303)
    if link_was_used(session, grant, settings_of(request)):
        return _used(request, next)
    return render(
        request,
        "signin_link.html",
        title=_("Sign in"),
        name=who.name,
        action=f"/signin/{quote(token, safe='')}",
        next=safe_next(next),
    )


@router.post("/signin/{token}")
def use_the_link(
    request: Request, token: str, session: Db, next: Annotated[str, Form()] = "/"
) -> Response:
    grant, who = _link_page(request, session, token)
    if who is not None:
        # Wall-clock time, as the link's own expiry is: never the cycle's clock (KIEMDIEM_NOW).
        wall = datetime.now(UTC)
        if not use_link(session, grant, now=wall, settings=settings_of(request)):
            return _used(request, next)
        set_session(request, new_session(grant.person_key))
    return RedirectResponse(safe_next(next), status_code=303)


@router.get("/signin")
def signin_page(request: Request, next: str = "/", sent: bool = False) -> Response:
    return render(
        request, "signin.html", title=_("Sign in"), next=safe_next(next), sent=sent, email=""
    )


@router.post("/signin")
def ask_for_link(
    request: Request,
    session: Db,
    email: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    address = email.strip()
    if "@" not in address or len(address) > 320:
        return render(
            request,
            "signin.html",
            status_code=400,
            title=_("Sign in"),
            next=safe_next(next),
            sent=False,
            email=address,
            problems=_("Enter the e-mail address the review's mails are sent to."),
        )
    client = request.client.host if request.client else "unknown"
    outcome = request_link(
        session, email=address, client=client, now=resolve_now(), settings=settings_of(request)
    )
    if outcome == "limited":
        return error_page(
            request,
            status_code=429,
            title=_("Too many requests for a sign-in link"),
            explanation=_(
                "A link was asked for too often from here or for this address in the last "
                "hour. Nothing was sent."
            ),
            next_steps=[
                _("Look for the link in the mails already sent to you."),
                _("Try again in an hour."),
            ],
        )
    target = quote(safe_next(next), safe="")
    return RedirectResponse(f"/signin?sent=1&next={target}", status_code=303)


@router.post("/signout")
def sign_out(request: Request) -> Response:
    set_session(request, new_session())
    return RedirectResponse("/signin", status_code=303)


@router.post("/lang")
def choose_language(
    lang: Annotated[str, Form()] = "vi", next: Annotated[str, Form()] = "/"
) -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax", path="/"
        )
    return response
