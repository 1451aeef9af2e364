"""The order the rules require: a collective's self-review before its members' peer reviews; a
collective decided before its members and its head; lower organizations before higher ones.

The collective of a member is its cell (O:<cell>); of a leader, the leadership of the
organization it heads (T:<org>), or the organization itself where it has no leadership unit
(a cell: O:<cell>). The guards read every collective unit they need in one query per action;
the tick reads the same rule as SQL (`collective_reviewed_clause`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, exists, not_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import col

from models.cycle import Level, Unit, UnitKind
from models.errors import Refusal
from states.directory import Directory
from states.guards import GuardContext, person_guard
from states.machine import UnitState

# A collective in one of these has not submitted its self-review (again, when returned).
NOT_REVIEWED = (UnitState.PLAN_ISSUED, UnitState.SELF_REVIEW, UnitState.RETURNED)
COLLECTIVE_KINDS = (UnitKind.ORGANIZATION, UnitKind.LEADERSHIP)


@dataclass(frozen=True)
class Collective:
    code: str
    state: str
    final_level: Level | None


# The collective units of a cycle by (organization, kind).
Collectives = dict[tuple[int, UnitKind], Collective]


def collectives_among(units: Iterable[Unit]) -> Collectives:
    """The collectives of `units`, as the ordering rules look them up (for callers that
    already hold the cycle's units, like the demo's simulated people)."""
    return {
        (u.organization_id, u.kind): Collective(u.code, u.state, u.final_level)
        for u in units
        if u.kind in COLLECTIVE_KINDS
    }


def _collectives(ctx: GuardContext) -> Collectives:
    """The collective units of the batch's organizations and their children, read once."""
    memo = ctx.memo
    if "_ordering_collectives" not in memo:
        org_ids = set()
        for unit in ctx.batch:
            org_ids.add(unit.organization_id)
            if unit.kind is UnitKind.ORGANIZATION:
                org_ids.update(ctx.directory.children.get(unit.organization_id, []))
        rows = ctx.session.execute(
            sa_select(
                col(Unit.organization_id),
                col(Unit.kind),
                col(Unit.code),
                col(Unit.state),
                col(Unit.final_level),
            ).where(
                col(Unit.cycle_id) == ctx.cycle.id,
                col(Unit.organization_id).in_(sorted(org_ids)),
                col(Unit.kind).in_(COLLECTIVE_KINDS),
            )
        )
        memo["_ordering_collectives"] = {
            (org_id, UnitKind(kind)): Collective(code, state, final)
            for org_id, kind, code, state, final in rows
        }
    found: Collectives = memo["_ordering_collectives"]
    return found


def collective_of(collectives: Collectives, unit: Unit) -> Collective | None:
    """A member's cell; a leader's leadership collective, or its organization if it has none."""
    org = unit.organization_id
    if unit.kind is UnitKind.MEMBER:
        return collectives.get((org, UnitKind.ORGANIZATION))
    if unit.kind is UnitKind.LEADER:
        return collectives.get((org, UnitKind.LEADERSHIP)) or collectives.get(
            (org, UnitKind.ORGANIZATION)
        )
    return None


@person_guard("collective_reviewed")
def _collective_reviewed(ctx: GuardContext, unit: Unit) -> Refusal | None:
    collective = collective_of(_collectives(ctx), unit)
    if collective is None or collective.state not in NOT_REVIEWED:
        return None
    name = ctx.directory.orgs[unit.organization_id].name
    whose = "members" if unit.kind is UnitKind.MEMBER else "leaders"
    return Refusal(
        f"collective_not_reviewed_for_{whose}",
        fields={"collective": collective.code, "name": name, "state": collective.state},
    )


def prerequisites(collectives: Collectives, unit: Unit, directory: Directory) -> list[Collective]:
    """The units that must be decided before this one."""
    org = unit.organization_id
    if unit.kind is UnitKind.ORGANIZATION:
        found = []
        for child in directory.children.get(org, []):
            for kind in COLLECTIVE_KINDS:
                if (child, kind) in collectives:
                    found.append(collectives[(child, kind)])
        return found
    if unit.kind is UnitKind.LEADERSHIP:
        own = collectives.get((org, UnitKind.ORGANIZATION))
        return [own] if own else []
    collective = collective_of(collectives, unit)
    return [collective] if collective else []


# The refusal code per kind of unit waiting: it says why the other comes first.
WHY = {
    UnitKind.MEMBER: "waits_for_collective",
    UnitKind.LEADER: "waits_for_headed_collective",
    UnitKind.LEADERSHIP: "waits_for_organization",
    UnitKind.ORGANIZATION: "waits_for_lower_organizations",
}


@person_guard("prerequisites_decided")
def _prerequisites_decided(ctx: GuardContext, unit: Unit) -> Refusal | None:
    # The batch's codes once per action, not once per unit: a committee decides hundreds.
    if "_batch_codes" not in ctx.memo:
        ctx.memo["_batch_codes"] = {u.code for u in ctx.batch}
    batch = ctx.memo["_batch_codes"]
    waiting = [
        p
        for p in prerequisites(_collectives(ctx), unit, ctx.directory)
        if p.final_level is None and p.code not in batch
    ]
    if not waiting:
        return None
    # (code, state) pairs: the front end names each state in the person's language.
    return Refusal(WHY[unit.kind], fields={"waiting": tuple((p.code, p.state) for p in waiting)})


def collective_reviewed_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: true for a collective, or an individual whose collective has submitted
    its self-review (the tick's condition for opening an individual's vote).

    Written as "no collective of the unit still waits for its review", so a collective kind
    (which has none) passes, as does a unit whose collective is not in the cycle.
    """
    c = aliased(Unit, name="collective")
    t = aliased(Unit, name="leadership")
    has_leadership = (
        exists()
        .where(
            col(t.cycle_id) == col(Unit.cycle_id),
            col(t.organization_id) == col(Unit.organization_id),
            col(t.kind) == UnitKind.LEADERSHIP,
        )
        .correlate(Unit)
    )  # two levels down: name the unit being moved, not a new FROM
    is_its_collective = or_(
        and_(col(Unit.kind) == UnitKind.MEMBER, col(c.kind) == UnitKind.ORGANIZATION),
        and_(
            col(Unit.kind) == UnitKind.LEADER,
            or_(
                col(c.kind) == UnitKind.LEADERSHIP,
                and_(col(c.kind) == UnitKind.ORGANIZATION, not_(has_leadership)),
            ),
        ),
    )
    waiting = exists().where(
        col(c.cycle_id) == col(Unit.cycle_id),
        col(c.organization_id) == col(Unit.organization_id),
        col(c.state).in_([s.value for s in NOT_REVIEWED]),
        is_its_collective,
    )
    return not_(waiting)
