"""Sign-in links: signed, expiring, per person, added to each mail as it is delivered.

A mail is rendered and queued with plain page links (`KIEMDIEM_BASE_URL` + the page's path,
`states.links`). Delivery (`personalize`) turns each into a sign-in link for the person the
mail is addressed to: `/signin/<token>?next=<path>`, signed then, so the outbox never stores a
live token and a copy of the database holds none. A link that names its person explicitly
(`/signin?for=<key>&next=<path>`, as the fresh-link mail lists one per person an address
signs in as) is signed for that person. A mail whose address is several people's, or no
one's, keeps plain links: the page asks them to sign in.

A link signs in once (`use_link`): opening it only shows a page with one button (mail scanners
that fetch every link consume nothing), and the button's POST records the hash of the link's
random id, with the time the link expires, in `UsedSigninLink`; a second exchange, in any
process, is refused. The rows are purged once past their expiry, at each exchange.

Fresh links asked for on the sign-in page (`request_link`) are counted per address and per
client in the database, so the limit holds across every process serving the pages.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, quote, urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from models._sql import insert_ignoring_duplicates
from models.errors import ConfigError, KiemdiemError
from models.organization import Member, Organization
from models.outbox import OutboxMessage
from models.settings import Settings
from models.signin import SigninRequest, UsedSigninLink
from notifications import Mail, queue, render
from states.directory import Directory
from states.people import member_key, office_key, people_for_email
from vocabulary import _, current_language

KEY_FILE = "web-signing.key"
LINK_SALT = "kiemdiem-signin-link"


class SigninLinkRefused(KiemdiemError):
    """A sign-in link that cannot be used: `kind` is "expired" or "tampered"."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(kind)


def signing_key(settings: Settings) -> str:
    """KIEMDIEM_SECRET_KEY, else the key in keys_dir (made once, 0600, by whoever is first)."""
    where = (settings.secret_key, str(Path(settings.keys_dir).resolve()))
    if where not in _KEYS:
        _KEYS[where] = _signing_key(settings)
    return _KEYS[where]


_KEYS: dict[tuple[str | None, str], str] = {}


def _signing_key(settings: Settings) -> str:
    if settings.secret_key:
        if len(settings.secret_key) < 32:
            raise ConfigError(
                _(
                    "KIEMDIEM_SECRET_KEY must be at least 32 characters; leave it unset to let "
                    "kiemdiem make one in {path}"
                ).format(path=f"{settings.keys_dir}/{KEY_FILE}")
            )
        return settings.secret_key
    directory = Path(settings.keys_dir)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _attempt in range(50):  # another process made it a moment ago and is writing it
            key = path.read_text().strip()
            if key:
                return key
        raise ConfigError(
            _("{path} is empty; delete it so a new key is made").format(path=path)
        ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return _serializer_for(signing_key(settings))


@lru_cache(maxsize=8)
def _serializer_for(key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=LINK_SALT)


def _payload(person_key: str) -> dict[str, str]:
    # "j": the link's own random id, what `use_link` records (hashed) once it is used.
    return {"p": person_key, "j": secrets.token_urlsafe(12)}


def link_token(settings: Settings, person_key: str) -> str:
    return _serializer(settings).dumps(_payload(person_key))


@dataclass(frozen=True)
class LinkGrant:
    """What a valid sign-in link grants: who it signs in, its id, when it stops working."""

    person_key: str
    link_id: str
    expires_at: datetime


def read_grant(settings: Settings, token: str) -> LinkGrant:
    """The link's person, id and expiry; SigninLinkRefused if it has expired or is not ours."""
    max_age = settings.signin_link_days * 86400
    try:
        data, signed = _serializer(settings).loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired:
        raise SigninLinkRefused("expired") from None
    except BadSignature:
        raise SigninLinkRefused("tampered") from None
    if not isinstance(data, dict) or not isinstance(data.get("p"), str):
        raise SigninLinkRefused("tampered")
    # A link signed before links had ids: its signature is unique to it and serves as one.
    link_id = data.get("j") if isinstance(data.get("j"), str) else token.rsplit(".", 1)[-1]
    return LinkGrant(str(data["p"]), str(link_id), signed + timedelta(seconds=max_age))


def read_link(settings: Settings, token: str) -> str:
    """The person key a link names; SigninLinkRefused if it has expired or is not ours."""
    return read_grant(settings, token).person_key


def link_was_used(session: Session, grant: LinkGrant, settings: Settings) -> bool:
    digest = _digest(f"link:{grant.link_id}", settings)
    return session.get(UsedSigninLink, digest) is not None


def use_link(session: Session, grant: LinkGrant, *, now: datetime, settings: Settings) -> bool:
    """Exchange the link once: True the first time, False if it was used before (anywhere).

    The insert that records it is what decides, so two exchanges racing in two processes
    cannot both win. Rows of links past their expiry are purged here (an indexed delete)."""
    session.execute(delete(UsedSigninLink).where(col(UsedSigninLink.expires_at) < now))
    row = {"id_hash": _digest(f"link:{grant.link_id}", settings), "expires_at": grant.expires_at}
    statement = insert_ignoring_duplicates(session, UsedSigninLink).returning(
        col(UsedSigninLink.id_hash)
    )
    return bool(session.execute(statement, [row]).all())


def sign_in_url(
    settings: Settings,
    person_key: str,
    path: str = "/",
    serializer: URLSafeTimedSerializer | None = None,
) -> str:
    """A ready sign-in link for `person_key` that lands on `path` (`serializer`: the one
    `_serializer(settings)` gives, found once for a batch of links)."""
    token = (serializer or _serializer(settings)).dumps(_payload(person_key))
    return f"{settings.base_url}/signin/{token}?next={quote(path, safe='')}"


def named_link(settings: Settings, person_key: str, path: str = "/") -> str:
    """A link naming its person, signed at delivery (the fresh-link mail lists these)."""
    return (
        f"{settings.base_url}/signin?for={quote(person_key, safe='')}&next={quote(path, safe='')}"
    )


def _recipient_keys(session: Session, rows: Sequence[OutboxMessage]) -> dict[int, str]:
    """The one person each row is addressed to, where there is one (a few queries a batch)."""
    member_ids = {
        int(parts[3])
        for r in rows
        if r.recipient_ref
        and (parts := r.recipient_ref.split("|"))[0] == "unit"
        and len(parts) > 3
        and parts[3]
    }
    # The organizations the rows' references name and those above them (see `readdress`).
    directory = Directory.around(
        session,
        (
            int(parts[2])
            for r in rows
            if r.recipient_ref and len(parts := r.recipient_ref.split("|")) > 2
        ),
    )
    head_ids = {
        head
        for r in rows
        if r.recipient_ref and len(parts := r.recipient_ref.split("|")) > 2
        for head in directory.heads.get(int(parts[2]), [])
    }
    codes_by_id = {
        member_id: code
        for member_id, code in session.exec(
            select(Member.id, Member.code).where(col(Member.id).in_(member_ids | head_ids))
        )
        if member_id is not None
    }
    found: dict[int, str] = {}
    by_address_only: list[OutboxMessage] = []
    for row in rows:
        assert row.id is not None
        person_key = _by_ref(row, directory, codes_by_id)
        if person_key is None:
            by_address_only.append(row)
        else:
            found[row.id] = person_key
    # Only the rows their reference does not name anyone for are looked up by address (on
    # the lower(email) indexes of migration 0012).
    if by_address_only:
        by_address = _address_keys(session, by_address_only)
        for row in by_address_only:
            assert row.id is not None
            keys = by_address.get(row.recipient.lower(), set())
            if len(keys) == 1:
                found[row.id] = next(iter(keys))
    return found


def _address_keys(session: Session, rows: Sequence[OutboxMessage]) -> dict[str, set[str]]:
    """Everyone each row's address belongs to: members with it, organizations with it as
    their own (their office) or their secretary's (their heads)."""
    addresses = sorted({r.recipient.lower() for r in rows})
    by_address: dict[str, set[str]] = {a: set() for a in addresses}
    for code, email in session.exec(
        select(Member.code, Member.email).where(func.lower(Member.email).in_(addresses))
    ):
        if email:
            by_address[email.lower()].add(member_key(code))
    for org_id, code, email, secretary in session.exec(
        select(
            Organization.id, Organization.code, Organization.email, Organization.secretary_email
        ).where(
            func.lower(Organization.email).in_(addresses)
            | func.lower(Organization.secretary_email).in_(addresses)
        )
    ):
        if email and email.lower() in by_address:
            by_address[email.lower()].add(office_key(code))
        if secretary and secretary.lower() in by_address:
            # Its heads, on member's leads_id index (the address may be any office's).
            codes = session.exec(select(Member.code).where(col(Member.leads_id) == org_id)).all()
            by_address[secretary.lower()].update(member_key(c) for c in codes)
    return by_address


def _by_ref(row: OutboxMessage, directory: Directory, codes: dict[int, str]) -> str | None:
    """Who acts on a mail from how its address was found: the member for their own unit;
    the head of the organization for its collectives' mail and its secretary's, when the
    address is that organization's own (not one found further up the tree)."""
    parts = (row.recipient_ref or "").split("|")
    if len(parts) < 4:
        return None
    role, kind, org, member_id = parts[:4]
    if role == "unit" and member_id:
        code = codes.get(int(member_id))
        return member_key(code) if code else None
    collective = kind in ("organization", "leadership")
    if (role == "unit" and collective) or role == "secretary":
        node = directory.orgs.get(int(org))
        own = {a.lower() for a in (node.email, node.secretary_email) if a} if node else set()
        heads = directory.heads.get(int(org), [])
        if row.recipient.lower() in own and len(heads) == 1 and heads[0] in codes:
            return member_key(codes[heads[0]])
    return None


def personalize(
    session: Session, rows: Sequence[OutboxMessage], settings: Settings
) -> dict[int, tuple[str, str]]:
    """Each row's text and HTML with its page links turned into sign-in links, signed now."""
    keys = _recipient_keys(session, rows)
    base = settings.base_url.rstrip("/")
    pattern = re.compile(re.escape(base) + r"(/[^\s\"'<>)\]]*)")
    bodies: dict[int, tuple[str, str]] = {}
    serializer = _serializer(settings)

    def _link(path: str, key: str | None) -> str:
        parts = urlsplit(path)
        if parts.path == "/signin" and parts.query:
            query = parse_qs(parts.query)
            named = query.get("for", [None])[0]
            target = query.get("next", ["/"])[0] or "/"
            if named:
                return sign_in_url(settings, named, target, serializer)
        if key is None or path.startswith(("/signin", "/static")):
            return base + path
        return sign_in_url(settings, key, path, serializer)

    for row in rows:
        assert row.id is not None
        key = keys.get(row.id)
        made: dict[str, str] = {}  # the text's link and the HTML's are the same link

        def link(path: str, key: str | None = key, made: dict[str, str] = made) -> str:
            if path not in made:
                made[path] = _link(path, key)
            return made[path]

        text = pattern.sub(lambda m: link(m.group(1)), row.body_text)
        page = pattern.sub(lambda m: html.escape(link(html.unescape(m.group(1)))), row.body_html)
        if text != row.body_text or page != row.body_html:
            bodies[row.id] = (text, page)
    return bodies


def _digest(value: str, settings: Settings) -> str:
    salted = f"{signing_key(settings)}|{value.strip().lower()}"
    return hashlib.sha256(salted.encode()).hexdigest()


def request_link(
    session: Session, *, email: str, client: str, now: datetime, settings: Settings
) -> Literal["queued", "limited"]:
    """Queue a mail of fresh sign-in links to `email` if it signs anyone in.

    The answer is the same whether or not the address is known ("queued"); "limited" when
    this address or this client asked too often in the last hour (nothing is queued then).
    """
    address, who = _digest(email, settings), _digest(f"client:{client}", settings)
    since = now - timedelta(hours=1)
    recent = session.exec(
        select(
            select(func.count())
            .where(SigninRequest.address_hash == address, col(SigninRequest.at) > since)
            .scalar_subquery(),
            select(func.count())
            .where(SigninRequest.client_hash == who, col(SigninRequest.at) > since)
            .scalar_subquery(),
        )
    ).one()
    limit = settings.signin_requests_per_hour
    if recent[0] >= limit or recent[1] >= limit:
        return "limited"
    session.add(SigninRequest(at=now, address_hash=address, client_hash=who))
    keys = people_for_email(session, email)
    if keys:
        from states.people import person

        people = [person(session, k) for k in keys]
        links = [{"name": p.name, "key": p.key, "url": named_link(settings, p.key)} for p in people]
        mail = Mail(
            key=f"signin:{address[:16]}:{now.isoformat()}:{secrets.token_hex(4)}",
            kind="signin_link",
            recipient=email.strip(),
            recipient_name=people[0].name,
            urgent=True,
            rendered=render(
                "signin_link",
                {
                    "recipient_name": people[0].name,
                    "links": links,
                    "days": settings.signin_link_days,
                },
                lang=current_language(),
            ),
        )
        queue(session, [mail], now=now, sender=settings.smtp_from)
    session.flush()
    return "queued"


__all__ = [
    "LinkGrant",
    "SigninLinkRefused",
    "link_was_used",
    "read_grant",
    "use_link",
    "link_token",
    "named_link",
    "personalize",
    "read_link",
    "request_link",
    "sign_in_url",
    "signing_key",
]
