"""Who a person is to the process: their roles, from the organization tree and the cycles.

A person is either a member (by member code) or the office of an organization (whoever
reads that organization's office address; it launches cycles and watches them, it never acts
on a unit). Roles are read, never claimed: the pages ask here, and every action still goes
through the same guards the CLI's actions do (`states.service.check_action`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import exists
from sqlmodel import Session, col, func, select

from models.cycle import Cycle, Unit
from models.errors import NotFound, Refusal
from models.organization import Member, Organization, OrgLevel
from states.directory import Directory
from states.machine import UnitState
from states.seating import directing_teams, inspection_commission


class Role(StrEnum):
    MEMBER = "member"
    SECRETARY = "secretary"  # heads a cell (bí thư chi bộ)
    COMMITTEE = "committee"  # sits on a committee above the cells (cấp ủy)
    INSPECTION = "inspection"  # on a cycle's inspection commission (UBKT)
    DIRECTING_TEAM = "directing_team"  # leads a cycle's directing team (tổ chỉ đạo)
    OFFICE = "office"  # an organization's office (ban tổ chức)


@dataclass(frozen=True)
class Person:
    """A signed-in person: `key` is what a sign-in link names (`m:CODE` or `o:ORG`)."""

    key: str
    name: str
    roles: frozenset[Role]
    member_code: str | None = None
    # The organization whose office this is (office people), or that the member heads.
    office_of: str | None = None
    leads: str | None = None
    email: str | None = None
    # Cycles still running (any unit not closed), newest first: the pages' default scope.
    cycles: tuple[str, ...] = field(default_factory=tuple)

    def has(self, role: Role) -> bool:
        return role in self.roles


def member_key(code: str) -> str:
    return f"m:{code}"


def office_key(org_code: str) -> str:
    return f"o:{org_code}"


def active_cycles(session: Session) -> list[Cycle]:
    """Cycles with a unit not yet closed, newest first (one query; every page asks, so it
    stops at each cycle's first open unit, on ix_unit_cycle_state, instead of reading them all)."""
    running = exists().where(
        col(Unit.cycle_id) == col(Cycle.id), col(Unit.state) != UnitState.CLOSED.value
    )
    return list(session.exec(select(Cycle).where(running).order_by(col(Cycle.launched_at).desc())))


# Who each key is, per database, while what it is made of is unchanged: the tree (a new
# Directory after every import, which is also when members change) and the running cycles
# (their plans, which name inspection commissions and directing teams, never change after
# launch). Every page asks for the signed-in person; this spares the member's query and the
# walk over the cycles.
_PEOPLE: dict[tuple[str, str], tuple[Directory, tuple[int | None, ...], Person]] = {}
_PEOPLE_MAX = 20_000


def person(session: Session, key: str) -> Person:
    """The person a sign-in link or session names, with their roles as they are now.

    Raises NotFound when the member or organization no longer exists (a link outlived them).
    """
    kind, _, code = key.partition(":")
    cycles = active_cycles(session)
    directory = Directory.load(session)
    where = (str(session.get_bind().engine.url), key)
    ids = tuple(c.id for c in cycles)
    known = _PEOPLE.get(where)
    if known is not None and known[0] is directory and known[1] == ids:
        return known[2]
    found = _person(session, key, kind, code, cycles, directory)
    if len(_PEOPLE) >= _PEOPLE_MAX:
        _PEOPLE.clear()
    _PEOPLE[where] = (directory, ids, found)
    return found


def _person(
    session: Session, key: str, kind: str, code: str, cycles: list[Cycle], directory: Directory
) -> Person:
    codes = tuple(c.code for c in cycles)
    if kind == "o":
        org = session.exec(select(Organization).where(Organization.code == code)).first()
        if org is None or not org.email:
            raise NotFound(Refusal("unknown_organization", fields={"code": code}))
        return Person(
            key, org.name, frozenset({Role.OFFICE}), office_of=code, email=org.email, cycles=codes
        )
    if kind != "m":
        raise NotFound(Refusal("unknown_member", fields={"code": key}))
    member = session.exec(select(Member).where(Member.code == code)).first()
    if member is None:
        raise NotFound(Refusal("unknown_member", fields={"code": code}))
    roles: set[Role] = {Role.MEMBER}
    leads = directory.orgs.get(member.leads_id) if member.leads_id is not None else None
    if leads is not None:
        roles.add(Role.SECRETARY if leads.level is OrgLevel.CELL else Role.COMMITTEE)
    elif member.id is not None and _on_a_committee(directory, member.id):
        roles.add(Role.COMMITTEE)
    for cycle in cycles:
        if code in inspection_commission(directory, cycle):
            roles.add(Role.INSPECTION)
        if any(code in team.members for team in directing_teams(directory, cycle)):
            roles.add(Role.DIRECTING_TEAM)
    return Person(
        key,
        member.full_name,
        frozenset(roles),
        member_code=code,
        leads=leads.code if leads else None,
        email=member.email,
        cycles=codes,
    )


def may_act(
    session: Session, who: Person, *, cycle_code: str, unit_code: str, trigger: str
) -> Refusal | None:
    """None if `who` may do `trigger` to the unit as far as who they are goes (the same
    guards the action checks, whatever the unit's state now); else why not, as a refusal
    about the unit. The action itself checks everything again when it is done."""
    from states.cycles import get_cycle, get_member, get_units
    from states.guards import PERSON_GUARDS, GuardContext, as_refusal
    from states.machine import machine_for

    if who.member_code is None:
        return Refusal("office_does_not_act", unit=unit_code, fields={"name": who.name})
    cycle = get_cycle(session, cycle_code)
    (unit,) = get_units(session, cycle, [unit_code])
    actor = get_member(session, who.member_code)
    moves = [m for m in machine_for(unit.kind).moves if m.trigger == trigger and m.by == "person"]
    if not moves:
        return Refusal("not_a_persons_move", unit=unit_code, fields={"trigger": trigger})
    context = GuardContext.load(session, cycle, actor, [unit])
    for condition in moves[0].conditions:
        # Only the guards about who acts (actor_*): the others say whether it can happen now.
        if not condition.startswith("actor_") or condition not in PERSON_GUARDS:
            continue
        reason = PERSON_GUARDS[condition](context, unit)
        if reason:
            return as_refusal(reason, unit_code)
    return None


def one_per_role(session: Session, cycle_code: str) -> dict[Role, str]:
    """A person key for each kind of person who acts in a cycle (for the demo's links): a
    member, a cell secretary, a committee member heading a grassroots organization, and
    the launching organization's office."""
    from states.cycles import get_cycle

    cycle = get_cycle(session, cycle_code)
    found: dict[Role, str] = {}
    member = session.exec(
        select(Member.code)
        .join(Unit, col(Unit.member_id) == col(Member.id))
        .where(Unit.cycle_id == cycle.id, col(Member.leads_id).is_(None))
        .order_by(col(Member.code))
    ).first()
    if member:
        found[Role.MEMBER] = member_key(member)
    for role, level in ((Role.SECRETARY, OrgLevel.CELL), (Role.COMMITTEE, OrgLevel.GRASSROOTS)):
        head = session.exec(
            select(Member.code)
            .join(Organization, col(Organization.id) == col(Member.leads_id))
            .where(Organization.level == level)
            .order_by(col(Member.code))
        ).first()
        if head:
            found[role] = member_key(head)
    office = session.get(Organization, cycle.launched_by_id)
    if office is not None and office.email:
        found[Role.OFFICE] = office_key(office.code)
    return found


def _on_a_committee(directory: Directory, member_id: int) -> bool:
    return any(member_id in directory.committee(org) for org in directory.children)


def people_for_email(session: Session, email: str) -> list[str]:
    """The person keys an address signs in as: the members who have it, and the offices of
    the organizations that have it as their office address (case-insensitive)."""
    address = email.strip().lower()
    if not address:
        return []
    members = session.exec(
        select(Member.code).where(func.lower(Member.email) == address).order_by(col(Member.code))
    ).all()
    offices = session.exec(
        select(Organization.code)
        .where(func.lower(Organization.email) == address)
        .order_by(col(Organization.code))
    ).all()
    return [member_key(c) for c in members] + [office_key(c) for c in offices]


__all__ = [
    "Person",
    "Role",
    "active_cycles",
    "may_act",
    "member_key",
    "office_key",
    "one_per_role",
    "people_for_email",
    "person",
]
