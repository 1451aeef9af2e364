"""Who is told about a unit: resolved from the organization tree, falling back upwards."""

from __future__ import annotations

from dataclasses import dataclass

from models.cycle import UnitKind
from states.directory import Directory

ROLES = ("unit", "secretary", "higher", "standing")


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
