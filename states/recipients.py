"""Who is told about a unit: resolved from the organization tree, falling back upwards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlmodel import Session, col, select

from models.cycle import Cycle, Unit, UnitKind
from models.organization import Member
from models.outbox import OutboxMessage
from states.cycles import approving_committee
from states.directory import Directory
from states.plan import Plan

ROLES = ("unit", "secretary", "higher", "team", "standing")


class UnitRef(NamedTuple):
    """What recipient resolution needs to know about a unit (a named tuple, not a frozen
    dataclass: a province's tick and launch make tens of thousands, and those cost 3 µs)."""

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


class Recipient(NamedTuple):
    """An address found for a role (a named tuple, for the same reason as `UnitRef`)."""

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
    # (an f-string: a province's tick resolves tens of thousands)
    org_in_ref = standing_org_id if role == "standing" else unit.organization_id
    ref = f"{role}|{unit.kind.value}|{org_in_ref}|{unit.member_id or ''}"
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


class StepRecipients:
    """`who_acts` then `resolve` (or `team_for`) for the ladder steps of one tick, each answer
    found once per role, stage, kind and organization, a team once per organization; the
    answers are `resolve`'s, ref included. A member told of their own unit is not asked here:
    `direct` says when, and the answer is the member's address."""

    def __init__(self, directory: Directory, cycle: Cycle, teams: list[TeamContact]) -> None:
        self._directory, self._cycle, self._teams = directory, cycle, teams
        self._standing = cycle.launched_by_id
        # (role, stage, kind, org id) -> (address, name, ref without the member, whether the
        # member's id ends the ref), or None where nobody up the tree has an address.
        self._found: dict[tuple[str, str, UnitKind, int], tuple[str, str, str, bool] | None]
        self._found = {}
        self._team: dict[int, TeamContact | None] = {}

    def team(self, org_id: int) -> TeamContact | None:
        """`team_for` the organization: its own team, else its parent's (found once)."""
        if org_id in self._team:
            return self._team[org_id]
        node = self._directory.orgs[org_id]
        found = next((t for t in self._teams if node.code in t.organizations), None)
        if found is None and node.parent_id is not None and node.parent_id in self._directory.orgs:
            found = self.team(node.parent_id)
        self._team[org_id] = found
        return found

    def find(
        self, role: str, stage: str, kind: UnitKind, org_id: int
    ) -> tuple[str, str, str, bool] | None:
        """`role`'s recipient about a unit of `kind` in `org_id` at `stage`, for a unit whose
        member is not told directly (see `direct`): (address, name, ref without the member's
        id, whether it ends with the member's id), or None."""
        key = (role, stage, kind, org_id)
        if key in self._found:
            return self._found[key]
        unit = UnitRef(kind, org_id)
        acting_role, acting = who_acts(role, stage, unit, self._directory, self._cycle)
        to = resolve(acting_role, acting, self._directory, standing_org_id=self._standing)
        # who_acts put someone else in the unit's place: the ref names no member then.
        found = None if to is None else (to.email, to.name, to.ref or "", acting is unit)
        self._found[key] = found
        return found

    @staticmethod
    def direct(role: str, stage: str, kind: UnitKind) -> bool:
        """Whether `role` at `stage` is a unit's member itself (where it has an address)."""
        return role == "unit" and stage not in _WAITING_STAGES and not kind.is_collective


def readdress(session: Session, rows: Sequence[OutboxMessage]) -> list[OutboxMessage]:
    """Find each row's address again in the tree as it is now (a corrected address in a new
    import reaches mail not yet sent); return the rows for which none exists any more."""
    refs = [(row, row.recipient_ref.split("|")) for row in rows if row.recipient_ref]
    # Only the batch's organizations and those above them: delivery must not read every
    # office's tree for each batch.
    directory = Directory.around(session, (int(parts[2]) for _, parts in refs))
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
