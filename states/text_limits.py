"""Length limits on every free text a person writes, checked before anything is read or
written: a refusal per text too long, with its limit, so the person can shorten it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from models import limits
from models.errors import ActionRefused, Refusal

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


def check_lengths(texts: Iterable[tuple[str, str | None, str]]) -> None:
    """Refuse every (field, value, kind) whose value is over its kind's limit, all at once."""
    refusals = [r for field, value, kind in texts if (r := too_long(field, value, kind=kind))]
    if refusals:
        raise ActionRefused(*refusals)
