"""Seats the import takes from members.csv `committees` that it refuses."""

from __future__ import annotations

from vocabulary import N_

WORDS: dict[str, str] = {
    "seat_unknown_organization": N_(
        "committees {seat!r}: {code!r} is not an organization in organizations.csv or "
        "already imported"
    ),
    "seat_bad_body": N_(
        "committees {seat!r} is not a seat: write CODE (its committee), CODE:standing, "
        "CODE:inspection or CODE:team=NAME"
    ),
    "seat_bad_team": N_("committees {seat!r}: the team name {team!r} may hold only {allowed}"),
}
