"""Words for the service layer's refusals, per front end (cli, page, mail).

Each refusal code has one sentence; a front end may add its own hint (the CLI names its
flags, a page its fields). The table below is filled as states/ moves to structured
refusals; an unknown code is worded from its fields so nothing is ever lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from models.errors import Refusal
from vocabulary import N_, _

Front = Literal["cli", "page", "mail"]


def word(refusal: Refusal, *, front: Front = "cli") -> str:
    """One refusal as a sentence in the current language, prefixed by its unit."""
    if refusal.code == "text":
        text = str(refusal.fields.get("text", ""))
    elif refusal.code in BALLOT_REFUSALS:
        text = _(BALLOT_REFUSALS[refusal.code]).format(**refusal.fields)
    else:
        text = _(refusal.code) + "".join(f" {k}={v}" for k, v in refusal.fields.items())
    return f"{refusal.unit}: {text}" if refusal.unit else text


def word_all(refusals: Iterable[Refusal], *, front: Front = "cli") -> str:
    return "\n".join(word(r, front=front) for r in refusals)


# Sealed secret ballots (states.ballot_box, states.voting), from the ballots branch.
BALLOT_REFUSALS: dict[str, str] = {
    "ballot_key_missing": N_(
        "the private ballot key of cycle {cycle} is not at {path}, so its secret votes cannot "
        "be counted; copy the key file kept for this cycle there, or set {setting} to the "
        "directory that holds it, then close the vote again. Nothing was changed."
    ),
    "ballot_key_unreadable": N_(
        "the private ballot key of cycle {cycle} at {path} cannot be read ({error}); make it "
        "readable by this program (it is its own file, mode 0600) and close the vote again. "
        "Nothing was changed."
    ),
    "ballot_key_wrong": N_(
        "{path} is not the ballot key cycle {cycle} was launched with; put that cycle's own "
        "key file there (or set {setting} to the directory that holds it) and close the vote "
        "again. Nothing was changed."
    ),
    "ballot_key_unwritable": N_(
        "the ballot key of cycle {cycle} cannot be written to {path} ({error}); set {setting} "
        "to a directory this program may create files in, kept apart from the database, and "
        "launch again. Nothing was launched."
    ),
    "cycle_has_no_ballot_key": N_(
        "cycle {cycle} votes by secret ballot but was launched without a ballot key; launch "
        "it again under a new code. Nothing was changed."
    ),
    "sealed_ballots_tampered": N_(
        "round {round} holds {boxes} sealed ballots for {voted} voters on the roll, or a "
        "ballot that is not this round's: the database was changed outside kiemdiem; nothing "
        "was counted. Restore the database from a backup taken before the change."
    ),
}
