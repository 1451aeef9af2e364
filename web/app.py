"""The pages' application: every router in `web/pages/`, the layout's static files, and one
middleware that reads the session, sets the language, checks CSRF on every POST and adds
strict security headers.

Errors a person can meet (nobody signed in, a bad link, a forbidden action, an unknown
page, a form that makes no sense, anything unexpected) become a page in their language that
says what to do next; the request's transaction is rolled back, so nothing changes.
"""

from __future__ import annotations

import hmac
import importlib
import logging
import pkgutil
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import web.pages
from models.errors import NotFound
from models.settings import Settings, load_settings
from states.acting import acting
from vocabulary import LANGUAGES, _, use_language
from web.auth import (
    LANG_COOKIE,
    SESSION_COOKIE,
    Forbidden,
    LinkProblem,
    Signer,
    SignInRequired,
    new_session,
)
from web.limits import FORM_BYTES, UPLOAD_BYTES, UPLOAD_PATHS
from web.render import STATIC, error_page

log = logging.getLogger("kiemdiem.web")

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Sign-in links carry a token in their path: never send it on to another site.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def language_of(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    settings: Settings = request.app.state.settings
    return settings.lang if settings.lang in LANGUAGES else "vi"


def _secure(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def _posted_token(headers: Headers, body: bytes) -> str | None:
    header = headers.get("x-csrf-token")
    if header:
        return header
    kind = headers.get("content-type", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("utf-8", "replace")).get("csrf_token")
        return values[0] if values else None
    return None


async def _multipart_token(scope: Scope, body: bytes) -> str | None:
    async def replay() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(scope, replay).form()
    value = form.get("csrf_token")
    return value if isinstance(value, str) else None


class BodyTooLarge(Exception):
    """The POST's body passed its limit (the Content-Length said so, or the bytes did)."""


def body_limit(scope: Scope, headers: Headers) -> int:
    uploading = headers.get("content-type", "").startswith("multipart/form-data")
    if uploading and str(scope.get("path", "")).startswith(UPLOAD_PATHS):
        return UPLOAD_BYTES
    return FORM_BYTES


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away mid-body
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length", "")
    return int(value) if value.isdigit() else None


class PageMiddleware:
    """Session, language, CSRF and security headers for every request.

    A plain ASGI middleware, not Starlette's BaseHTTPMiddleware: that one runs every
    response's body through a task and a stream of its own, which cost each request more
    than some pages' own work (bench/pages_profile.py). A POST's body is read here once
    for its CSRF token and given to the page as it came."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        signer: Signer = request.app.state.signer
        state = signer.read_session(request.cookies.get(SESSION_COOKIE))
        request.state.session = state or new_session()
        request.state.session_changed = state is None

        async def finish(message: Message) -> None:
            if message["type"] == "http.response.start":
                _finish_headers(request, MutableHeaders(scope=message))
            await send(message)

        with use_language(language_of(request)), acting("page"):
            if request.method in ("GET", "HEAD", "OPTIONS"):
                await self.app(scope, receive, finish)
                return
            limit = body_limit(scope, request.headers)
            declared = _declared_length(request.headers)
            try:
                if declared is not None and declared > limit:
                    raise BodyTooLarge
                body = await _read_body(receive, limit)
            except BodyTooLarge:
                await _too_large(request, limit)(scope, receive, finish)
                return
            posted = _posted_token(request.headers, body)
            if posted is None and request.headers.get("content-type", "").startswith(
                "multipart/form-data"
            ):
                posted = await _multipart_token(scope, body)
            expected = signer.csrf_token(request.state.session["sid"])
            if not posted or not hmac.compare_digest(posted, expected):
                await _csrf_refused(request)(scope, receive, finish)
                return
            given = False

            async def replay() -> Message:
                nonlocal given
                if given:
                    return await receive()  # after the body: the client's disconnect
                given = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, finish)


def _finish(request: Request, response: Response) -> Response:
    """A response made by an error handler outside the middleware (an unexpected error)."""
    _finish_headers(request, response.headers)
    return response


def _finish_headers(request: Request, headers: MutableHeaders) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)
    if request.url.path.startswith("/static/"):
        return
    headers.setdefault("Cache-Control", "no-store")
    if request.state.session_changed and not getattr(request.state, "cookie_sent", False):
        # Once: an error handler's page passes through the middleware again on its way out.
        request.state.cookie_sent = True
        headers.append("set-cookie", _session_cookie(request))


def _session_cookie(request: Request) -> str:
    signer: Signer = request.app.state.signer
    settings: Settings = request.app.state.settings
    cookie: SimpleCookie = SimpleCookie()
    cookie[SESSION_COOKIE] = signer.session_cookie(request.state.session)
    morsel = cookie[SESSION_COOKIE]
    morsel["max-age"] = settings.session_hours * 3600
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "lax"
    if _secure(request):
        morsel["secure"] = True
    return morsel.OutputString()


def _csrf_refused(request: Request) -> Response:
    return error_page(
        request,
        status_code=403,
        title=_("This form has expired"),
        explanation=_(
            "The form was sent without its security code, or with one from an older visit, "
            "so it was not accepted. Nothing was changed."
        ),
        next_steps=[
            _("Go back, reload the page and send the form again."),
            _("If it happens again, open the link in your latest mail again."),
        ],
    )


def _too_large(request: Request, limit: int) -> Response:
    response = error_page(
        request,
        status_code=413,
        title=_("This form is too large"),
        explanation=_(
            "What was sent is larger than {size} MB, more than any form here takes, so it was "
            "not accepted. Nothing was changed."
        ).format(size=limit // (1024 * 1024)),
        next_steps=[
            _("Go back, shorten the text or choose a smaller file, and send it again."),
            _("A larger organization tree can be imported on the server with kiemdiem org import."),
        ],
    )
    # The rest of the body is never read: the connection cannot carry another request.
    response.headers["Connection"] = "close"
    return response


def _link_problem(request: Request, exc: Exception) -> Response:
    kind = exc.kind if isinstance(exc, LinkProblem) else "tampered"
    titles = {
        "expired": _("This sign-in link has expired"),
        "tampered": _("This sign-in link is not valid"),
        "foreign": _("This sign-in link is for someone else"),
    }
    explanations = {
        "expired": _("Sign-in links are good for a limited time, for your safety."),
        "tampered": _(
            "The link is not one kiemdiem sent, or it was cut or changed on the way "
            "(some mail programs break long links)."
        ),
        "foreign": _(
            "You are signed in as another person on this device. A link only signs in "
            "the person it was sent to."
        ),
    }
    steps = [_("Ask for a fresh link with your e-mail address on the sign-in page.")]
    if kind == "foreign":
        steps.insert(0, _("Sign out first, then open the link again."))
    elif kind == "tampered":
        steps.insert(0, _("Copy the whole link from the mail into the browser's address bar."))
    return _in_language(
        request,
        lambda: error_page(
            request,
            status_code=403 if kind == "foreign" else 400,
            title=titles[kind],
            explanation=explanations[kind] + " " + _("Nothing was changed."),
            next_steps=steps,
        ),
    )


def _forbidden(request: Request, exc: Exception) -> Response:
    detail = str(exc)
    return _in_language(
        request,
        lambda: error_page(
            request,
            status_code=403,
            title=_("You may not do this"),
            explanation=(detail + " " if detail else "")
            + _("This page or action belongs to someone else's role. Nothing was changed."),
            next_steps=[
                _("Go to My tasks to see what you can do."),
                _("If you think you should be able to, ask your organization's office."),
            ],
        ),
    )


def _sign_in_required(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


def _not_found(request: Request, exc: Exception) -> Response:
    return _in_language(
        request,
        lambda: error_page(
            request,
            status_code=404,
            title=_("Page not found"),
            explanation=_("There is no such page, cycle or unit. Nothing was changed."),
            next_steps=[_("Go to My tasks and follow a link from there.")],
        ),
    )


def _http_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, StarletteHTTPException) and exc.status_code == 404:
        return _not_found(request, exc)
    code = exc.status_code if isinstance(exc, StarletteHTTPException) else 400
    return _in_language(
        request,
        lambda: error_page(
            request,
            status_code=code,
            title=_("This request cannot be handled"),
            explanation=_(
                "The page was asked for in a way it does not accept. Nothing was changed."
            ),
            next_steps=[_("Go to My tasks and follow a link from there.")],
        ),
    )


def _bad_form(request: Request, exc: Exception) -> Response:
    return _in_language(
        request,
        lambda: error_page(
            request,
            status_code=400,
            title=_("This form could not be read"),
            explanation=_(
                "Some of what was sent is missing or not in the expected form. Nothing was changed."
            ),
            next_steps=[_("Go back, reload the page and send the form again.")],
        ),
    )


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return _in_language(
        request,
        lambda: error_page(
            request,
            status_code=500,
            title=_("Something went wrong"),
            explanation=_(
                "The page could not be made because of a fault on the server. Nothing was changed."
            ),
            next_steps=[
                _("Try again in a few minutes."),
                _("If it keeps happening, tell your organization's office the time it happened."),
            ],
        ),
    )


def _in_language(request: Request, make: Callable[[], Response]) -> Response:
    if not hasattr(request.state, "session"):  # an error before the middleware ran
        request.state.session = new_session()
        request.state.session_changed = True
    with use_language(language_of(request)):
        return _finish(request, make())


def page_modules() -> list[str]:
    """Every module of `web.pages`, by name: each may define a `router`."""
    return sorted(f"web.pages.{m.name}" for m in pkgutil.iter_modules(web.pages.__path__))


def create_app(settings: Settings | None = None) -> FastAPI:
    """The pages on `settings` (default: the environment's)."""
    settings = settings or load_settings()
    app = FastAPI(title="kiemdiem", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.signer = Signer(settings)
    for name in page_modules():
        router = getattr(importlib.import_module(name), "router", None)
        if router is not None:
            app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(PageMiddleware)
    handlers: dict[Any, Callable[[Request, Exception], Response]] = {
        SignInRequired: _sign_in_required,
        LinkProblem: _link_problem,
        Forbidden: _forbidden,
        NotFound: _not_found,
        StarletteHTTPException: _http_error,
        RequestValidationError: _bad_form,
        Exception: _unexpected,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
    return app


__all__ = ["CSP", "SECURITY_HEADERS", "create_app", "page_modules"]
