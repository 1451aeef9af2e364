"""The parts of the organization tree a tick reads (`Directory.for_cycle`) and delivery reads
(`Directory.around`), so that neither grows with the other offices sharing the database.

A tick asks about its cycle's units (all in the launching committee's subtree) and up the
tree from them (escalation climbs committees; an address missing falls back upwards; the
launching committee's own units are decided by the plan's `higher_committee`); beyond that
it names a few organizations (the higher committee, opinion offices, the residence cells
its members' opinions are asked of, a unit a re-import moved out of the subtree). Seats
(`committees`) are not read: a member of any tree may be seated anywhere, so reading them
for a scope would mean reading every seated member; nothing a tick does asks for them, and
a scoped directory refuses the question.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models.cycle import RESIDENCE, Cycle, Opinion, Unit
from models.organization import Member, Organization
from states.cycles import plan_of
from states.directory import NODE_COLUMNS, Directory

# Index of `path` among NODE_COLUMNS.
_PATH = 5


def _subtree(connection: Any, root_id: int) -> list[Any]:
    """`root_id`'s row and every row under it: a recursive walk down `parent_id`'s index, on
    both databases (a prefix match on `path` would need the C collation for its index), that
    returns the rows themselves (joined back to the table, a planner may read it whole)."""
    tree = sa_select(*NODE_COLUMNS).where(col(Organization.id) == root_id)
    above = tree.cte("subtree", recursive=True)
    below = sa_select(*NODE_COLUMNS).join(above, col(Organization.parent_id) == above.c.id)
    return list(connection.execute(sa_select(above.union_all(below))))


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    """Ids a few thousand at a time: a province's subtree is too many for one statement's
    parameters on SQLite."""
    for at in range(0, len(ids), _CHUNK):
        yield ids[at : at + _CHUNK]


_CHUNK = 5000


def _codes_above(paths: Iterable[str]) -> set[str]:
    """The codes on these paths (/TOP/…/SELF/): each organization and those above it."""
    return {code for path in paths for code in path.split("/") if code}


def read_for_cycle(session: Session, cycle: Cycle) -> Directory:
    """The launching committee's subtree, what the cycle names outside it, and everything
    above either, with their heads (see the module's docstring)."""
    connection = session.connection()
    root = cycle.launched_by_id
    rows = _subtree(connection, root)
    ids = [r[0] for r in rows]
    plan = plan_of(cycle)
    named = {plan.higher_committee} if plan.higher_committee else set()
    named |= {code for office in plan.opinions.offices for code in office.organizations}
    named |= _codes_above(str(r[_PATH]) for r in rows if r[0] == root)
    # Where the cycle's units are (a re-import may have moved one out of the subtree), where
    # their members live now, and the residence cells its opinions were asked of.
    units = sa_select(col(Unit.organization_id)).where(col(Unit.cycle_id) == cycle.id)
    homes = (
        sa_select(col(Member.residence_id))
        .join(Unit, col(Unit.member_id) == col(Member.id))
        .where(col(Unit.cycle_id) == cycle.id, col(Member.residence_id).is_not(None))
    )
    places = {org for query in (units, homes) for (org,) in connection.execute(query.distinct())}
    asked = (
        sa_select(col(Opinion.source))
        .join(Unit, col(Unit.id) == col(Opinion.unit_id))
        .where(col(Unit.cycle_id) == cycle.id, col(Opinion.source).startswith(f"{RESIDENCE}:"))
    )
    named |= {source.partition(":")[2] for (source,) in connection.execute(asked.distinct())}
    outside = _with_those_above(
        connection,
        rows,
        or_(
            col(Organization.code).in_(sorted(named)),
            col(Organization.id).in_(sorted(places - set(ids))),
        ),
    )
    rows += outside
    return Directory.build(rows, _heads(connection, [r[0] for r in rows]), None, scope=cycle.code)


def _heads(connection: Any, org_ids: list[int]) -> list[Any]:
    """(member id, organization id) of every head of these organizations."""
    return [
        row
        for chunk in _chunks(org_ids)
        for row in connection.execute(
            sa_select(col(Member.id), col(Member.leads_id)).where(col(Member.leads_id).in_(chunk))
        )
    ]


def read_around(session: Session, org_ids: list[int]) -> Directory:
    """These organizations and those above them, with their heads."""
    connection = session.connection()
    rows = _with_those_above(connection, [], col(Organization.id).in_(org_ids))
    return Directory.build(rows, _heads(connection, [r[0] for r in rows]), None, scope="delivery")


def _with_those_above(connection: Any, have: list[Any], where: Any) -> list[Any]:
    """The organizations `where` selects that are not in `have`, then every one above them
    not read yet (by code, from their paths)."""
    seen = {r[0] for r in have}
    found = [
        r for r in connection.execute(sa_select(*NODE_COLUMNS).where(where)) if r[0] not in seen
    ]
    seen |= {r[0] for r in found}
    known = {r[1] for r in have} | {r[1] for r in found}
    missing = _codes_above(r[_PATH] for r in found) - known
    if missing:
        found += [
            r
            for r in connection.execute(
                sa_select(*NODE_COLUMNS).where(col(Organization.code).in_(missing))
            )
            if r[0] not in seen
        ]
    return found
