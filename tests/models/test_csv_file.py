"""The pattern the CSV reader searches for forbidden characters, against Unicode itself."""

from __future__ import annotations

import sys
import unicodedata

from models._csv_file import _BIDI, _FORBIDDEN_CATEGORIES, FORBIDDEN, bad_character


def test_the_pattern_matches_exactly_the_forbidden_categories_and_bidi_controls() -> None:
    wrong = [
        f"U+{c:04X}"
        for c in range(sys.maxunicode + 1)
        if (FORBIDDEN.fullmatch(chr(c)) is not None)
        != (unicodedata.category(chr(c)) in _FORBIDDEN_CATEGORIES or chr(c) in _BIDI)
    ]
    assert wrong == []


def test_bad_character_names_the_first_forbidden_character() -> None:
    assert bad_character("Nguyễn Văn An") is None
    assert bad_character("An\u202eB\tC") == "U+202E (RIGHT-TO-LEFT OVERRIDE)"
    assert (bad_character("a\x00") or "").startswith("U+0000 (")  # no name: "control character"
