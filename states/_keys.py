"""How a validation error names the key it is about, in the files people write."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vocabulary import N_, _


def key_path(loc: Sequence[int | str]) -> str:
    """('escalation', 0, 'at') → 'escalation[0].at'; the whole document → '(top)'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


# Pydantic's own messages are English: the problems a person makes most in a plan or a rule
# set, by pydantic's error type, in the current language. Others keep pydantic's words.
_PROBLEMS = {
    "missing": N_("is required"),
    "string_type": N_("must be text"),
    "int_type": N_("must be a whole number"),
    "int_parsing": N_("must be a whole number"),
    "float_type": N_("must be a number"),
    "float_parsing": N_("must be a number"),
    "bool_type": N_("must be true or false"),
    "bool_parsing": N_("must be true or false"),
    "date_type": N_("must be a date, written YYYY-MM-DD"),
    "date_parsing": N_("must be a date, written YYYY-MM-DD"),
    "date_from_datetime_parsing": N_("must be a date, written YYYY-MM-DD"),
    "list_type": N_("must be a list"),
    "dict_type": N_("must be a mapping of keys"),
    "model_type": N_("must be a mapping of keys"),
    "model_attributes_type": N_("must be a mapping of keys"),
    "extra_forbidden": N_("is not a key this file takes"),
    "literal_error": N_("must be one of {expected}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than_equal": N_("must be at most {le}"),
    "greater_than": N_("must be more than {gt}"),
    "less_than": N_("must be less than {lt}"),
    "too_short": N_("needs at least {min_length} item(s)"),
}


def pydantic_problem(error: Mapping[str, Any]) -> str:
    """One of pydantic's validation errors as a problem in the current language: ours (a
    validator's ValueError, already translated) as it is, pydantic's own by its type."""
    kind = error["type"]
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in _PROBLEMS:
        return _(_PROBLEMS[kind]).format(**(error.get("ctx") or {}))
    return str(error["msg"])
