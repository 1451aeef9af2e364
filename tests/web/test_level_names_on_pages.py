"""The level names a page shows are the ones mail, the CLI and the workbook show
(tests/vocabulary/test_names.py): read from `vocabulary.names.LEVELS`, in the page's language."""

from __future__ import annotations

import pytest

from tests.web.conftest import LiveServer
from tests.web.signing import sign_in_http
from tests.web.test_identity import client
from vocabulary import names, use_language
from web.auth import LANG_COOKIE

PAGE = "/cycles/TT-2026/units/M%3AA3/self-review"


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_self_review_page_names_the_levels_from_the_one_table(
    lang: str, live_server: LiveServer
) -> None:
    with client(live_server) as http:
        sign_in_http(http, live_server, "m:A3")
        http.cookies.set(LANG_COOKIE, lang)  # the person's choice of language
        page = http.get(PAGE)
    assert page.status_code == 200
    with use_language(lang):
        shown = [names.LEVELS[level] for level in names.LEVELS]
    with use_language("en" if lang == "vi" else "vi"):
        other = [names.LEVELS[level] for level in names.LEVELS]
    assert [name for name in shown if name not in page.text] == []
    assert not any(name in page.text for name in other)
