"""What a front end shows before anyone acts: the organizations, one organization with its
members, and the cycles. Read-only; each answer is a few set-based queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from models.cycle import Cycle, Unit
from models.errors import ActionRefused, Refusal
from models.organization import Member, Organization


def organizations(session: Session) -> list[dict[str, Any]]:
    """Every organization in tree order, with its parent's code and its number of members."""
    parent = aliased(Organization)
    counts = (
        select(col(Member.organization_id), func.count().label("n"))
        .group_by(col(Member.organization_id))
        .subquery()
    )
    rows = session.execute(
        select(
            col(Organization.code),
            col(Organization.name),
            col(Organization.level),
            col(Organization.email),
            col(parent.code),
            func.coalesce(counts.c.n, 0),
        )
        .outerjoin(parent, col(parent.id) == col(Organization.parent_id))
        .outerjoin(counts, counts.c.organization_id == col(Organization.id))
        .order_by(col(Organization.path))
    ).all()
    return [
        {"code": c, "name": n, "level": str(lv), "email": e, "parent": p, "members": m}
        for c, n, lv, e, p, m in rows
    ]


def organization(session: Session, code: str) -> dict[str, Any]:
    """One organization: where it sits, what it contains, its members and who leads it."""
    org = session.execute(select(Organization).where(col(Organization.code) == code)).scalar()
    if org is None:
        raise ActionRefused(Refusal("unknown_organization", fields={"code": code}))
    parent = session.get(Organization, org.parent_id) if org.parent_id else None
    children = session.execute(
        select(col(Organization.code), col(Organization.name))
        .where(col(Organization.parent_id) == org.id)
        .order_by(col(Organization.code))
    ).all()
    members = session.execute(
        select(
            col(Member.code),
            col(Member.full_name),
            col(Member.position),
            col(Member.email),
            col(Member.leads_id),
        )
        .where(col(Member.organization_id) == org.id)
        .order_by(col(Member.code))
    ).all()
    leaders = session.execute(
        select(col(Member.code), col(Member.full_name)).where(col(Member.leads_id) == org.id)
    ).all()
    return {
        "code": org.code,
        "name": org.name,
        "level": str(org.level),
        "email": org.email,
        "secretary_email": org.secretary_email,
        "parent": {"code": parent.code, "name": parent.name} if parent else None,
        "children": [{"code": c, "name": n} for c, n in children],
        "leaders": [{"code": c, "name": n} for c, n in leaders],
        "members": [
            {"code": c, "name": n, "position": p, "email": e, "leads": lid is not None}
            for c, n, p, e, lid in members
        ],
    }


def cycles(session: Session) -> list[dict[str, Any]]:
    """Every cycle, newest first, with its number of units and whether it is closed."""
    counts = (
        select(col(Unit.cycle_id), func.count().label("n")).group_by(col(Unit.cycle_id)).subquery()
    )
    rows = session.execute(
        select(
            col(Cycle.code),
            col(Cycle.title),
            col(Cycle.rule_set),
            col(Cycle.timezone),
            col(Cycle.launched_at),
            col(Cycle.closed_at),
            col(Organization.code),
            func.coalesce(counts.c.n, 0),
        )
        .join(Organization, col(Organization.id) == col(Cycle.launched_by_id))
        .outerjoin(counts, counts.c.cycle_id == col(Cycle.id))
        .order_by(col(Cycle.launched_at).desc())
    ).all()
    return [
        {
            "code": c,
            "title": t,
            "rule_set": r,
            "timezone": z,
            "launched_at": la,
            "closed_at": ca,
            "launched_by": o,
            "units": n,
        }
        for c, t, r, z, la, ca, o, n in rows
    ]
