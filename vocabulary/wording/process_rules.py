"""Refusals of the process rules: batches, the top of the tree, opinions, committees."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "decides_own_review": N_("{who} may not decide their own review; {approving} decides it"),
    "decides_own_collective": N_(
        "{who} sits on {org}'s committee and may not decide its own collective; {approving} "
        "decides it"
    ),
    "others_unchanged": N_(
        "Nothing was changed: refused for {blocked}; the other units named ({others}) were "
        "not changed either. Act on them again without {blocked}, or once it is allowed."
    ),
}
