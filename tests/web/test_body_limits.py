"""A POST's body is read whole before any page sees it, so its size is bounded: a body past the
limit is refused with a page, before it is held in memory, and nothing changes."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx

from models.limits import LONG_TEXT, TEXT
from states.text_limits import LIMITS
from tests.web.conftest import LiveServer
from tests.web.signing import csrf_of, sign_in_http
from web.limits import FORM_BYTES, UPLOAD_BYTES


def client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)


def test_the_longest_form_a_person_can_fill_is_within_the_limit() -> None:
    # Every free-text field at its limit, in the character that percent-encodes longest
    # (four UTF-8 bytes, three characters each): the largest body a real form makes.
    widest = "\U0001d54f"
    fields = {f"{kind}.{i}": widest * limit for i, (kind, limit) in enumerate(LIMITS.items())}
    fields.update({f"answers.{i}": widest * TEXT for i in range(5)})
    assert max(LIMITS.values()) == LONG_TEXT
    assert len(urlencode(fields)) < FORM_BYTES


def test_a_form_past_the_limit_is_refused_and_changes_nothing(live_server: LiveServer) -> None:
    with client(live_server) as http:
        sign_in_http(http, live_server, "m:A3")
        token = csrf_of(http.get("/").text)
        refused = http.post(
            "/signout", data={"csrf_token": token, "padding": "x" * (FORM_BYTES + 1)}
        )
        assert refused.status_code == 413
        assert "Traceback" not in refused.text and "4 MB" in refused.text
        assert refused.headers["connection"] == "close"
        # Still signed in: the sign-out never ran.
        assert http.get("/").status_code == 200
        assert http.post("/signout", data={"csrf_token": token}).status_code == 303


def test_a_body_without_a_length_is_cut_off_at_the_limit(live_server: LiveServer) -> None:
    sent = 0

    def endless() -> Iterator[bytes]:
        # Chunked, with no Content-Length: the server must count what arrives.
        nonlocal sent
        chunk = b"x" * 65536
        while sent < 8 * FORM_BYTES:
            sent += len(chunk)
            yield chunk

    with client(live_server) as http:
        sign_in_http(http, live_server, "m:A3")
        token = csrf_of(http.get("/").text)
        try:
            refused = http.post(
                "/signout",
                content=endless(),
                headers={
                    "content-type": "application/x-www-form-urlencoded",
                    "x-csrf-token": token,
                },
            )
        except httpx.HTTPError:
            refused = None  # the server may close the connection before the client has sent it all
        if refused is not None:
            assert refused.status_code == 413
        assert http.get("/").status_code == 200


def test_only_the_office_upload_takes_a_large_multipart_body(live_server: LiveServer) -> None:
    big = b"a,b\n" * ((FORM_BYTES // 4) + 1)
    with client(live_server) as http:
        sign_in_http(http, live_server, "o:D")
        token = csrf_of(http.get("/office").text)
        elsewhere = http.post(
            "/signout", data={"csrf_token": token}, files={"organizations": ("o.csv", big)}
        )
        assert elsewhere.status_code == 413
        # The office page reads the same upload and answers for its content, not its size.
        imported = http.post(
            "/office/import", data={"csrf_token": token}, files={"organizations": ("o.csv", big)}
        )
        assert imported.status_code == 400, imported.text[:300]
        assert len(big) < UPLOAD_BYTES
    # A stranger (no session, no CSRF token) who only declares a huge body is answered at once.
    assert _declared_only(live_server, "/office/import", UPLOAD_BYTES + 1).startswith(
        b"HTTP/1.1 413"
    )
    assert _declared_only(live_server, "/signout", FORM_BYTES + 1).startswith(b"HTTP/1.1 413")


def _declared_only(server: LiveServer, path: str, length: int) -> bytes:
    """Send a POST's head declaring `length` bytes and none of them; the server's answer."""
    url = httpx.URL(server.url)
    with socket.create_connection((url.host, url.port or 80), timeout=10) as raw:
        raw.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {url.host}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
        )
        return raw.recv(65536)
