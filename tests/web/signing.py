"""Signing in the way a person does: open the link (a page with one button), press it."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

BUTTON = re.compile("^(Đăng nhập|Sign in)$")


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def press_sign_in(http: httpx.Client, link: str) -> httpx.Response:
    """GET the link's page, then POST its form (as the button does); the POST's response."""
    shown = http.get(link)
    assert shown.status_code == 200, shown.text[:400]
    form = re.search(r'<form method="post" action="(/signin/[^"]+)">(.*?)</form>', shown.text, re.S)
    assert form, "no sign-in button on the link's page"
    target = re.search(r'name="next" value="([^"]*)"', form.group(2))
    assert target
    data = {"csrf_token": csrf_of(form.group(2)), "next": html.unescape(target.group(1))}
    return http.post(shown.url.join(html.unescape(form.group(1))), data=data)


def sign_in_http(http: httpx.Client, server: Any, person_key: str, path: str = "/") -> None:
    response = press_sign_in(http, server.link(person_key, path).removeprefix(server.url))
    assert response.status_code == 303, response.text[:400]


def open_link(page: Any, link: str) -> Any:
    """A browser opens a sign-in link and presses its button."""
    page.goto(link)
    page.get_by_role("button", name=BUTTON).click()
    page.wait_for_load_state()
    return page
