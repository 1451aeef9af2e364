"""Who is told about a unit: resolved from the organization tree, falling back upwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from models.cycle import Cycle, Unit, UnitKind
from models.organization import Member
from models.outbox import OutboxMessage
from states.cycles import approving_committee
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
    member_id: int | None = None

    @classmethod
    def of(cls, unit: Unit, member: Member | None) -> UnitRef:
        if member is None:
            return cls(unit.kind, unit.organization_id)
        return cls(unit.kind, unit.organization_id, member.email, member.full_name, member.id)


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    # How the address was found, so delivery can find it again in the tree as it is then.
    ref: str | None = None


def resolve(
    role: str, unit: UnitRef, directory: Directory, *, standing_org_id: int
) -> Recipient | None:
    """The address for `role` about `unit`; None only when no organization up the tree has one.

    unit: the member, or the organization for a collective; secretary: the secretary of the
    organization the unit is reviewed in; higher: the organization above that one; standing:
    the launching committee's office.
    """
    ref = "|".join(
        (
            role,
            unit.kind.value,
            str(standing_org_id if role == "standing" else unit.organization_id),
            str(unit.member_id or ""),
        )
    )
    if role == "unit":
        if not unit.kind.is_collective and unit.member_email:
            return Recipient(unit.member_email, unit.member_name or unit.member_email, ref)
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
    return Recipient(email, node.name, ref)


# The stages at which the unit itself waits on others, and who must act there instead.
_WAITING_STAGES = ("peer_review", "vote", "approval")


def who_acts(
    role: str, stage: str, unit: UnitRef, directory: Directory, cycle: Cycle
) -> tuple[str, UnitRef]:
    """The role and unit to resolve for a ladder's `unit`/`secretary` step at `stage`: whoever
    must act there, never a member waiting on others.

    At the peer review the unit's collective must meet (its secretary); at the vote the
    secretary of where the vote is held (for a collective, the committee above) must close
    it; at approval the approving committee must decide. Other stages are the unit's own work.
    """
    if role not in ("unit", "secretary") or stage not in _WAITING_STAGES:
        return role, unit
    org = unit.organization_id
    if stage == "approval":
        approving = approving_committee(directory, cycle, org)
        return "unit", UnitRef(UnitKind.ORGANIZATION, approving.id)
    if stage == "vote" and unit.kind.is_collective:
        above = directory.parent(org)
        org = above.id if above else org
    return "secretary", UnitRef(unit.kind, org)


def readdress(session: Session, rows: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """Find each row's address again in the tree as it is now (a corrected address in a new
    import reaches mail not yet sent); return the rows for which none exists any more."""
    directory = Directory.load(session)
    refs = [(row, row.recipient_ref.split("|")) for row in rows if row.recipient_ref]
    member_ids = [int(parts[3]) for _, parts in refs if parts[3]]
    members = {
        m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(member_ids))).all()
    }
    lost = []
    for row, (role, kind, org, member_id) in refs:
        if int(org) not in directory.orgs:
            continue
        m = members.get(int(member_id)) if member_id else None
        unit = UnitRef(UnitKind(kind), int(org), *((m.email, m.full_name, m.id) if m else ()))
        to = resolve(role, unit, directory, standing_org_id=int(org))
        if to is None:
            lost.append(row)
        elif to.email != row.recipient:
            row.recipient = to.email
            session.add(row)
    return lost


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
