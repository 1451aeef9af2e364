"""A code in a page's path is written as `quote(code, safe="")` writes it, whatever it holds
(the fast path for plain codes must not change a single link)."""

from __future__ import annotations

from urllib.parse import quote

from states import links


def test_every_code_is_percent_encoded_as_quote_does() -> None:
    samples = ["M:A3", "L:A1", "O:G1", "", "a-b_c.d~e", "Tổ 1", "x/y", "a b", "%3A", "?&#=+"]
    samples += [chr(c) + "M:" + chr(c) for c in range(0x20, 0x2FF)]
    for code in samples:
        assert links.unit_page("TT-2026", code) == f"/cycles/TT-2026/units/{quote(code, safe='')}"
