"""Who is told about a unit: resolved from the organization tree, falling back upwards."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from models.cycle import UnitKind
from models.organization import Member
from states.directory import Directory
from states.plan import Plan

ROLES = ("unit", "secretary", "higher", "team", "standing")


@dataclass(frozen=True)
class UnitRef:
    """What recipient resolution needs to know about a unit."""

    kind: UnitKind
    organization_id: int
    member_email: str | None = None
    member_name: str | None = None


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str


def resolve(
    role: str, unit: UnitRef, directory: Directory, *, standing_org_id: int
) -> Recipient | None:
    """The address for `role` about `unit`; None only when no organization up the tree has one.

    unit: the member, or the organization for a collective; secretary: the secretary of the
    organization the unit is reviewed in; higher: the organization above that one; standing:
    the launching committee's office.
    """
    if role == "unit":
        if not unit.kind.is_collective and unit.member_email:
            return Recipient(unit.member_email, unit.member_name or unit.member_email)
        found = directory.address(unit.organization_id, "email")
    elif role == "secretary":
        found = directory.address(unit.organization_id, "secretary_email")
        if found is None:
            found = directory.address(unit.organization_id, "email")
    elif role == "higher":
        above = directory.parent(unit.organization_id)
        found = directory.address(above.id if above else unit.organization_id, "email")
    elif role == "standing":
        found = directory.address(standing_org_id, "email")
    else:
        raise ValueError(f"unknown recipient role {role!r}; roles are {', '.join(ROLES)}")
    if found is None:
        return None
    email, node = found
    return Recipient(email, node.name)


@dataclass(frozen=True)
class TeamContact:
    """A directing team as escalation sees it: where to write and what it follows."""

    code: str
    name: str
    email: str | None
    organizations: frozenset[str]


def team_contacts(session: Session, plan: Plan) -> list[TeamContact]:
    """The plan's directing teams, each reached at its own address or else its lead's."""
    leads = [t.lead for t in plan.directing_teams if t.lead]
    lead_email = dict(
        session.exec(select(Member.code, Member.email).where(col(Member.code).in_(leads))).all()
    )
    return [
        TeamContact(
            t.code, t.name, t.email or lead_email.get(t.lead or ""), frozenset(t.organizations)
        )
        for t in plan.directing_teams
    ]


def team_for(org_id: int, directory: Directory, teams: list[TeamContact]) -> TeamContact | None:
    """The team following this organization or the nearest one above it, if any does."""
    for node in directory.lineage(org_id):
        for team in teams:
            if node.code in team.organizations:
                return team
    return None
