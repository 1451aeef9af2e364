"""Refusals of the sealed secret ballot (states.ballot_box, states.voting)."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
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
