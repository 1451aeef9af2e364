"""The reasons the system itself writes into the audit log, stored as a code and its fields and
worded when shown (a unit's history page, `unit show`), in the reader's language.

A reason a person wrote (lowering a level, returning a review) is stored and shown as written.
A coded one starts with RS, a control character no text a person writes can hold
(states.text_limits refuses them), so the two never mix. Rows written before reasons were
coded keep their English words and are shown as they are.
"""

from __future__ import annotations

import json
from typing import Any

from vocabulary import N_, _, names

MARK = "\x1e"

# Counts and codes only, never a voter's name.
WORDS: dict[str, str] = {
    "vote_unopposed": N_("nobody is eligible to vote; the self-review's proposal stands"),
    "vote_carried": N_("round {round}: {level} carried with {votes} of {cast} ballots"),
    "vote_undecided": N_(
        "round {round}: no level has more than {majority} of the {cast} ballots ({tally}); "
        "round {next} begins"
    ),
    "voters_changed": N_(
        "the organization import changed who votes: round {round} restarts as round {next}"
    ),
    "shortcoming_assigned": N_("shortcoming {id} to {units}"),
}


def coded(code: str, **fields: Any) -> str:
    """A system reason to store: its code and fields, worded only when read."""
    return MARK + json.dumps({"code": code, **fields}, ensure_ascii=False, sort_keys=True)


def worded(reason: str | None) -> str:
    """A stored reason as the reader reads it: a coded one in the current language, a
    person's text (or an old row's) as it was written."""
    if not reason or not reason.startswith(MARK):
        return reason or ""
    try:
        data = json.loads(reason[len(MARK) :])
        code = data.pop("code")
        if "level" in data:
            data["level"] = names.LEVELS.name(data["level"])
        if "tally" in data:  # [[level, n], ...] as "Hoàn thành tốt nhiệm vụ 2, ..."
            data["tally"] = ", ".join(f"{names.LEVELS.name(lv)} {n}" for lv, n in data["tally"])
        if "units" in data:
            data["units"] = ", ".join(data["units"])
        return _(WORDS[code]).format(**data)
    except (ValueError, KeyError, TypeError, IndexError):
        return reason[len(MARK) :]  # never hide what is stored, even a reason of a later version


__all__ = ["MARK", "coded", "worded"]
