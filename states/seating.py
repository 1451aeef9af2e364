"""Who sits on a cycle's inspection commission and directing teams: the members the import
seats there (members.csv `committees`: `CODE:inspection`, `CODE:team=NAME`) where any are,
else the plan's `inspection_commission` and `directing_teams` (its leads)."""

from __future__ import annotations

from dataclasses import dataclass

from models.cycle import Cycle
from states.cycles import plan_of
from states.directory import Directory


def inspection_commission(directory: Directory, cycle: Cycle) -> list[str]:
    """Member codes of the cycle's inspection commission: those seated on the launching
    organization's inspection commission; where nobody is, the plan's list."""
    seated = directory.inspection_commission(cycle.launched_by_id)
    if seated:
        return sorted(directory.seated_codes[m] for m in seated if m in directory.seated_codes)
    return list(plan_of(cycle).inspection_commission)


@dataclass(frozen=True)
class Team:
    code: str
    organizations: tuple[str, ...]  # codes of the organizations it follows
    members: frozenset[str]  # codes of the members who act for it


def directing_teams(directory: Directory, cycle: Cycle) -> list[Team]:
    """The cycle's directing teams: those the import seats following organizations under the
    launching one; where none is, the plan's, each acted for by its lead."""
    imported = directory.teams_within(cycle.launched_by_id)
    if imported:
        return [
            Team(
                name,
                tuple(sorted(directory.orgs[o].code for o in followed)),
                frozenset(directory.seated_codes[m] for m in members),
            )
            for name, (followed, members) in sorted(imported.items())
        ]
    return [
        Team(t.code, tuple(t.organizations), frozenset([t.lead] if t.lead else []))
        for t in plan_of(cycle).directing_teams
    ]
