"""Length limits on every free text a person writes, checked before anything is read or
written: a refusal per text too long, with its limit, so the person can shorten it; and no
control character but line breaks and tabs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from models import limits
from models.errors import ActionRefused, Refusal

_ALLOWED_CONTROLS = frozenset("\n\r\t")
# Unicode's controls (category Cc: U+0000-U+001F, U+007F-U+009F) but those allowed, and the
# line and paragraph separators; one regex pass, where a loop over every character of every
# text a person writes cost a call per character.
_REFUSED_CONTROLS = re.compile(
    "["
    + "".join(
        re.escape(c)
        for c in map(chr, [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029])
        if c not in _ALLOWED_CONTROLS
    )
    + "]"
)
# The limit of each kind of text a person writes, by the form field it comes from.
LIMITS: Mapping[str, int] = {
    "text": limits.TEXT,  # a suggestion, comment or opinion
    "reason": limits.TEXT,
    "conclusion": limits.TEXT,
    "note": limits.TEXT,
    "shortcoming": limits.TEXT,
    "cause": limits.TEXT,
    "answer": limits.TEXT,
    "carried": limits.TEXT,
    "criterion": limits.LONG_TEXT,
    "strengths": limits.LONG_TEXT,
    "remedies": limits.LONG_TEXT,
}


def too_long(field: str, value: str | None, *, kind: str | None = None) -> Refusal | None:
    """A `text_too_long` refusal if `value` is longer than its kind's limit."""
    limit = LIMITS[kind or field]
    if value is None or len(value) <= limit:
        return None
    return Refusal(
        "text_too_long", field=field, fields={"field": field, "length": len(value), "limit": limit}
    )


def control_character(field: str, value: str | None) -> Refusal | None:
    """A `text_control_character` refusal if `value` holds a control character other than a
    line break or tab (NUL is refused by PostgreSQL mid-transaction; the others corrupt mail
    headers, terminals and workbook cells)."""
    found = _REFUSED_CONTROLS.search(value or "")
    if found is None:
        return None
    return Refusal(
        "text_control_character",
        field=field,
        fields={"field": field, "character": f"U+{ord(found.group()):04X}"},
    )


def check_lengths(texts: Iterable[tuple[str, str | None, str]]) -> None:
    """Refuse every (field, value, kind) whose value is over its kind's limit or holds a
    control character, all at once."""
    refusals = [
        r
        for field, value, kind in texts
        for r in (too_long(field, value, kind=kind), control_character(field, value))
        if r is not None
    ]
    if refusals:
        raise ActionRefused(*refusals)
