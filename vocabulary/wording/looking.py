"""Refusals of the read-only views (states/looking.py)."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "unknown_organization": N_(
        "no organization {code!r}; `kiemdiem org list` shows the organizations"
    ),
}
