"""Refusals of the process rules: batches, the top of the tree, opinions, committees."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "others_unchanged": N_(
        "Nothing was changed: refused for {blocked}; the other units named ({others}) were "
        "not changed either. Act on them again without {blocked}, or once it is allowed."
    ),
}
