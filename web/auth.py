"""Identity: signed, expiring, single-use, per-person sign-in links, exchanged for a session
cookie.

A sign-in link carries the person's key (`m:CODE` or `o:ORG`) and a random id, signed with the
site's key (itsdangerous, HMAC-SHA1 with a per-purpose salt) and the time it was signed; it is
good for `signin_link_days`, and once: the exchange records the hash of its id
(`states.signin.use_link`). The session is a signed cookie (HttpOnly, SameSite=Lax, Secure
over https) holding a random session id and the person's key; it is good for
`session_hours`. No session is stored, so any number of processes sharing the key serve the
same sessions.
The CSRF token of a form is an HMAC of the session id: a page of another site cannot know it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from models.errors import NotFound
from models.settings import Settings
from states.people import Person, person
from states.signin import LinkGrant, SigninLinkRefused, read_grant, signing_key
from web.db import Db

SESSION_COOKIE = "kd_session"
LANG_COOKIE = "kd_lang"


class LinkProblem(Exception):
    """A sign-in link that cannot be used: `kind` is expired, tampered or foreign."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(kind)


class Forbidden(Exception):
    """The signed-in person may not see or do this."""


class SignInRequired(Exception):
    """Nobody is signed in; the page sends them to /signin."""


@dataclass
class Signer:
    settings: Settings

    def __post_init__(self) -> None:
        self.key = signing_key(self.settings)
        self._sessions = URLSafeTimedSerializer(self.key, salt="kiemdiem-session")

    def read_link(self, token: str) -> LinkGrant:
        """Who a link signs in, its id and expiry; LinkProblem if expired or not ours."""
        try:
            return read_grant(self.settings, token)
        except SigninLinkRefused as exc:
            raise LinkProblem(exc.kind) from None

    def session_cookie(self, state: dict[str, Any]) -> str:
        return self._sessions.dumps(state)

    def read_session(self, cookie: str | None) -> dict[str, Any] | None:
        if not cookie:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=self.settings.session_hours * 3600)
        except BadSignature:  # expired or not ours: a fresh anonymous session
            return None
        return data if isinstance(data, dict) and isinstance(data.get("sid"), str) else None

    def csrf_token(self, sid: str) -> str:
        return hmac.new(self.key.encode(), f"csrf:{sid}".encode(), hashlib.sha256).hexdigest()


def new_session(person_key: str | None = None) -> dict[str, Any]:
    """A new session id (a new one at every sign-in, so a planted cookie is worth nothing)."""
    return {"sid": secrets.token_urlsafe(24), "p": person_key}


def session_state(request: Request) -> dict[str, Any]:
    state: dict[str, Any] = request.state.session
    return state


def set_session(request: Request, state: dict[str, Any]) -> None:
    """Replace the request's session; the middleware writes the cookie on the response."""
    request.state.session = state
    request.state.session_changed = True


def signed_in_key(request: Request) -> str | None:
    key = session_state(request).get("p")
    return key if isinstance(key, str) else None


def optional_person(request: Request, session: Db) -> Person | None:
    """The signed-in person, or None; a person who no longer exists is signed out."""
    key = signed_in_key(request)
    if key is None:
        return None
    try:
        found = person(session, key)
    except NotFound:
        set_session(request, new_session())
        return None
    finally:
        # Give the connection back before the page runs in another worker thread: a request
        # holding one while it waits for a thread, when every thread waits for a connection,
        # is a deadlock the pool only breaks by timing out (found by bench/pages.py).
        session.commit()
    request.state.person = found
    return found


def current_person(person: Annotated[Person | None, Depends(optional_person)]) -> Person:
    """The signed-in person; nobody signed in goes to /signin (and comes back after)."""
    if person is None:
        raise SignInRequired()
    return person


__all__ = [
    "Forbidden",
    "LANG_COOKIE",
    "LinkProblem",
    "SESSION_COOKIE",
    "SignInRequired",
    "Signer",
    "current_person",
    "new_session",
    "optional_person",
    "set_session",
    "signed_in_key",
]
