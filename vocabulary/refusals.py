"""Words for the service layer's refusals, per front end (cli, page, mail).

Each refusal code has one sentence; a front end may add its own hint (the CLI names its
flags, a page its fields). The sentences live in `vocabulary.wording`, one module per area;
an unknown code is worded from its fields so nothing is ever lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from models.errors import Refusal
from vocabulary import N_, _
from vocabulary.names import ACTIONS, KINDS, LEVELS, STATES, Names
from vocabulary.votes import counted
from vocabulary.wording import WORDS

Front = Literal["cli", "page", "mail"]


# How the CLI names the input a refusal is about (`Refusal.field`): its option. A page shows
# the sentence beside the field itself; mail names neither.
CLI_HINTS: dict[str, str] = {
    "text": "--text",
    "reason": "--reason",
    "note": "--note",
    "owner": "--owner MEMBER",
    "level": "--level LEVEL / --set UNIT=LEVEL",
    "set": "--set UNIT=LEVEL",
    "answer": "--answer ID=TEXT",
    "score": "--score",
    "role": "--role",
    "status": "--status",
    "confirm": "--confirm",
    "source": "--from",
}


# What the CLI adds to a refusal to say where to look next: a command (the service layer
# names none; a page links to the list instead). Worded with the refusal's fields.
CLI_NEXT: dict[str, str] = {
    "unknown_cycle": N_(
        "`kiemdiem cycle list` shows them; launch one with `kiemdiem cycle launch`"
    ),
    "no_cycle_yet": N_("launch one with `kiemdiem cycle launch`"),
    "unknown_organization": N_("`kiemdiem org list` shows the organizations"),
    "unknown_shortcoming": N_("list them with `kiemdiem remediation list CYCLE`"),
    "not_its_shortcoming": N_("list them with `kiemdiem remediation list {cycle} --unit {unit}`"),
    "report_on_own_copy": N_("see `kiemdiem remediation list`"),
    "cycle_units_open": N_("`kiemdiem cycle status {cycle}` shows them"),
}


# Fields that carry a stored value (a level, a kind of unit): worded by its name in the
# current language, so a refusal never shows "excellent" in a Vietnamese sentence.
NAMED_FIELDS: dict[str, Names] = {
    "level": LEVELS,
    "proposed": LEVELS,
    "decided": LEVELS,
    "collective_level": LEVELS,
    "most": LEVELS,
    "kind": KINDS,
    "state": STATES,
    "action": ACTIONS,
    "trigger": ACTIONS,
}


# Fields that carry several stored values, each worded by its name.
NAMED_LISTS: dict[str, Names] = {"sources": STATES}


def _units_in_states(pairs: Iterable[tuple[str, str]]) -> str:
    """(unit code, state) pairs as "O:C1 (in self-review), T:G1 (...)"."""
    return ", ".join(f"{code} ({STATES.name(state)})" for code, state in pairs)


# Where a requested opinion comes from, as stored ("residence:C2", "office:VP"): worded.
OPINION_SOURCES: dict[str, str] = {
    "residence": N_("the residence cell {code}"),
    "office": N_("the office {code}"),
}
SOURCE_FIELDS = ("source", "awaited")


def source_name(source: str) -> str:
    """An opinion's source as people say it: "the residence cell C2" (vi: chi bộ nơi cư trú)."""
    kind, _sep, code = source.partition(":")
    return _(OPINION_SOURCES[kind]).format(code=code) if kind in OPINION_SOURCES else source


def _sources(value: Any) -> str:
    listed = [value] if isinstance(value, str) else list(value)
    return ", ".join(source_name(str(s)) for s in listed) or _("none")


def _named(fields: Mapping[str, Any]) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for k, v in fields.items():
        if k in SOURCE_FIELDS and v is not None:
            named[k] = _sources(v)
        elif k in NAMED_FIELDS and v is not None:
            named[k] = NAMED_FIELDS[k].name(str(v))
        elif k in NAMED_LISTS and isinstance(v, (list, tuple)):
            named[k] = ", ".join(NAMED_LISTS[k].name(str(x)) for x in v)
        elif k == "counted" and isinstance(v, (list, tuple)):
            named[k] = counted(v)  # (level, ballots) pairs
        elif k == "waiting" and isinstance(v, (list, tuple)):
            named[k] = _units_in_states(v)  # (unit code, state) pairs
        else:
            named[k] = v
    return named


def word(refusal: Refusal, *, front: Front = "cli") -> str:
    """One refusal as a sentence in the current language, prefixed by its unit."""
    if refusal.code == "text":
        text = str(refusal.fields.get("text", ""))
    elif refusal.code in WORDS:
        text = _(WORDS[refusal.code]).format(**_named(refusal.fields))
    else:
        text = _(refusal.code) + "".join(f" {k}={v}" for k, v in refusal.fields.items())
    if front == "cli" and refusal.code in CLI_NEXT:
        text = f"{text}; {_(CLI_NEXT[refusal.code]).format(**refusal.fields)}"
    if front == "cli" and refusal.field is not None:
        hint = CLI_HINTS.get(refusal.field.split(".")[0])
        if hint:
            text = f"{text} ({hint})"
    return f"{refusal.unit}: {text}" if refusal.unit else text


def word_all(refusals: Iterable[Refusal], *, front: Front = "cli") -> str:
    return "\n".join(word(r, front=front) for r in refusals)
