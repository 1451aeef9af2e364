"""Words for the service layer's refusals, per front end (cli, page, mail).

Each refusal code has one sentence; a front end may add its own hint (the CLI names its
flags, a page its fields). The sentences live in `vocabulary.wording`, one module per area;
an unknown code is worded from its fields so nothing is ever lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from models.errors import Refusal
from vocabulary import _
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
}


def word(refusal: Refusal, *, front: Front = "cli") -> str:
    """One refusal as a sentence in the current language, prefixed by its unit."""
    if refusal.code == "text":
        text = str(refusal.fields.get("text", ""))
    elif refusal.code in WORDS:
        text = _(WORDS[refusal.code]).format(**refusal.fields)
    else:
        text = _(refusal.code) + "".join(f" {k}={v}" for k, v in refusal.fields.items())
    if front == "cli" and refusal.field is not None:
        hint = CLI_HINTS.get(refusal.field.split(".")[0])
        if hint:
            text = f"{text} ({hint})"
    return f"{refusal.unit}: {text}" if refusal.unit else text


def word_all(refusals: Iterable[Refusal], *, front: Front = "cli") -> str:
    return "\n".join(word(r, front=front) for r in refusals)
