"""Importing the organization tree again while cycles run: say what changes for them, and
apply it consistently once the operator confirms.

A re-import is done in the caller's transaction and compared with the tree as it was: for
each running cycle (one with a unit not yet published), the units it would lack (a new
member, organization or head), the units whose place changes (a member moved to another
cell, an organization under another parent: who votes on them and who approves them
changes), the organizations whose head changes, and the open vote rounds whose voters
change. Without `confirm` the import is refused with that list (the caller's transaction
rolls back, so nothing is written). With it, the missing units are created with the
cycle's deadlines, moved members' units follow them, and every open round whose voters
changed starts again as a new round, so nobody votes on a round they were not counted in
and no ballot counts from someone no longer eligible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from models.cycle import AuditEntry, Cycle, SealedRound, StageDeadline, Unit, UnitKind
from models.errors import ActionRefused, Refusal
from models.org_import import ImportSummary, import_organizations
from models.organization import Member, OrgLevel
from states.cycles import plan_of
from states.directory import Directory
from states.guards import Electorate
from states.machine import STAGES, UnitState
from vocabulary.reasons import coded

SETTLED = {UnitState.PUBLISHED, UnitState.REMEDIATION, UnitState.CLOSED}


@dataclass
class CycleImpact:
    """What a re-import changes for one running cycle, as refusals a front end words."""

    cycle: Cycle
    new_units: list[dict[str, Any]] = field(default_factory=list)
    moved: dict[int, int] = field(default_factory=dict)  # unit id -> its new organization
    revotes: list[Unit] = field(default_factory=list)
    changes: list[Refusal] = field(default_factory=list)


def _snapshot(session: Session) -> tuple[Directory, dict[int, tuple[int, int | None]]]:
    directory = Directory._read(session)
    members = {
        m_id: (org, leads)
        for m_id, org, leads in session.exec(
            select(Member.id, Member.organization_id, Member.leads_id)
        )
        if m_id is not None
    }
    return directory, members


def _expected(cycle: Cycle, directory: Directory, members: list[Member]) -> dict[str, Any]:
    """Every unit a launch would make for the cycle's scope now, by code."""
    root = directory.orgs[cycle.launched_by_id]
    scope = {o.id: o for o in directory.orgs.values() if o.path.startswith(root.path)}
    units: dict[str, Any] = {}
    for org in scope.values():
        units[f"O:{org.code}"] = (UnitKind.ORGANIZATION, org.id, None)
        if org.level is not OrgLevel.CELL:
            units[f"T:{org.code}"] = (UnitKind.LEADERSHIP, org.id, None)
    for m in members:
        if m.organization_id in scope:
            units[f"M:{m.code}"] = (UnitKind.MEMBER, m.organization_id, m.id)
        if m.leads_id in scope:
            units[f"L:{m.code}"] = (UnitKind.LEADER, m.leads_id, m.id)
    return units


def _impact(
    session: Session,
    cycle: Cycle,
    before: tuple[Directory, dict[int, tuple[int, int | None]]],
    after: tuple[Directory, dict[int, tuple[int, int | None]]],
    members: list[Member],
) -> CycleImpact:
    (old_tree, old_members), (new_tree, _new_members) = before, after
    impact = CycleImpact(cycle)
    units = session.exec(select(Unit).where(Unit.cycle_id == cycle.id)).all()
    existing = {u.code for u in units}
    by_id = {m.id: m for m in members if m.id is not None}
    codes = {m.id: m.code for m in members}
    for code, (kind, org_id, member_id) in _expected(cycle, new_tree, members).items():
        if code not in existing:
            impact.new_units.append(
                {"code": code, "kind": kind, "organization_id": org_id, "member_id": member_id}
            )
            impact.changes.append(
                Refusal("reimport_new_unit", unit=code, fields={"cycle": cycle.code})
            )
    old_voters, new_voters = Electorate(session, old_tree), Electorate(session, new_tree)
    old_voters._members_by_org = _by_org(old_members, old_tree)
    new_voters.load_all()
    for unit in units:
        if unit.state in SETTLED:
            continue
        place = _new_place(unit, old_tree, new_tree, by_id)
        if place is not None:
            impact.moved[unit.id] = place[1]  # type: ignore[index]
            impact.changes.append(
                Refusal(
                    "reimport_moved",
                    unit=unit.code,
                    fields={"cycle": cycle.code, "before": place[0], "after": place[2]},
                )
            )
        if unit.state != UnitState.VOTE:
            continue
        moved_unit = (
            Unit(
                cycle_id=unit.cycle_id,
                code=unit.code,
                kind=unit.kind,
                organization_id=place[1],
                member_id=unit.member_id,
                state=unit.state,
            )
            if place
            else unit
        )
        was, now = old_voters.voters(unit), new_voters.voters(moved_unit)
        if was != now:
            impact.revotes.append(unit)
            impact.changes.append(
                Refusal(
                    "reimport_revote",
                    unit=unit.code,
                    fields={
                        "cycle": cycle.code,
                        "round": unit.vote_round,
                        "next": unit.vote_round + 1,
                        "added": ", ".join(sorted(codes.get(i, "?") for i in now - was)) or "—",
                        "removed": ", ".join(sorted(codes.get(i, "?") for i in was - now)) or "—",
                    },
                )
            )
    for org_id, org in new_tree.orgs.items():
        if org_id in old_tree.orgs and new_tree.in_subtree(org_id, cycle.launched_by_id):
            was_heads = set(old_tree.heads.get(org_id, []))
            now_heads = set(new_tree.heads.get(org_id, []))
            if was_heads != now_heads:
                impact.changes.append(
                    Refusal(
                        "reimport_head",
                        fields={
                            "cycle": cycle.code,
                            "organization": org.code,
                            "before": ", ".join(sorted(str(codes[i]) for i in was_heads)) or "—",
                            "after": ", ".join(sorted(str(codes[i]) for i in now_heads)) or "—",
                        },
                    )
                )
    return impact


def _by_org(members: dict[int, tuple[int, int | None]], tree: Directory) -> dict[int, set[int]]:
    """The members of each organization as they were (every organization a key, so the
    electorate never reads the new rows for one)."""
    out: dict[int, set[int]] = {org_id: set() for org_id in tree.orgs}
    for member_id, (org_id, _leads) in members.items():
        out.setdefault(org_id, set()).add(member_id)
    return out


def _new_place(
    unit: Unit, old: Directory, new: Directory, by_id: dict[int, Member]
) -> tuple[str, int, str] | None:
    """(where it was, its new organization id, where it goes) if the unit's place changes."""
    if unit.kind.is_collective:
        was, now = old.parent(unit.organization_id), new.parent(unit.organization_id)
        if (was and was.id) != (now and now.id):
            return (was.code if was else "—", unit.organization_id, now.code if now else "—")
        return None
    member = by_id.get(unit.member_id) if unit.member_id is not None else None
    if member is None:
        return None
    target = member.organization_id if unit.kind is UnitKind.MEMBER else member.leads_id
    if target is None or target == unit.organization_id or target not in new.orgs:
        return None
    return (old.orgs[unit.organization_id].code, target, new.orgs[target].code)


def reimport_organizations(
    *,
    session: Session,
    organizations_csv: Path,
    members_csv: Path,
    now: datetime,
    confirm: bool = False,
    actor: str = "import",
) -> tuple[ImportSummary, list[CycleImpact]]:
    """Import both files; refuse with every change for running cycles unless `confirm`."""
    running = session.exec(
        select(Cycle).where(
            col(Cycle.id).in_(
                select(Unit.cycle_id).where(col(Unit.state).not_in([s.value for s in SETTLED]))
            )
        )
    ).all()
    before = _snapshot(session) if running else None
    summary = import_organizations(
        session=session, organizations_csv=organizations_csv, members_csv=members_csv
    )
    if before is None:
        return summary, []
    session.flush()
    after = _snapshot(session)
    members = list(session.exec(select(Member)).all())
    impacts = [_impact(session, c, before, after, members) for c in running]
    impacts = [i for i in impacts if i.changes]
    if impacts and not confirm:
        raise ActionRefused(
            *(r for i in impacts for r in i.changes),
            Refusal("reimport_needs_confirm", field="confirm"),
        )
    for impact in impacts:
        _apply(session, impact, now, actor)
    return summary, impacts


def _apply(session: Session, impact: CycleImpact, now: datetime, actor: str) -> None:
    """Create the missing units, move the moved ones, restart the rounds whose voters changed."""
    cycle, plan = impact.cycle, plan_of(impact.cycle)
    tree = Directory._read(session)
    pilots = [tree.by_code[c].path for c in (plan.pilots.organizations if plan.pilots else [])]
    if impact.new_units:
        session.execute(
            insert(Unit),
            [
                {
                    **u,
                    "cycle_id": cycle.id,
                    "state": UnitState.PLAN_ISSUED,
                    "pilot": any(
                        tree.orgs[u["organization_id"]].path.startswith(p) for p in pilots
                    ),
                    "updated_at": now,
                }
                for u in impact.new_units
            ],
        )
        codes = [u["code"] for u in impact.new_units]
        created = session.exec(
            select(Unit).where(Unit.cycle_id == cycle.id, col(Unit.code).in_(codes))
        ).all()
        regular = {s: plan.due_at(d) for s, d in plan.due.as_dict().items()}
        early = (
            {s: plan.due_at(d) for s, d in plan.pilots.due.as_dict().items()}
            if plan.pilots
            else regular
        )
        session.execute(
            insert(StageDeadline),
            [
                {"unit_id": u.id, "stage": s, "due_at": (early if u.pilot else regular)[s]}
                for u in created
                for s in STAGES
            ],
        )
    for unit_id, org_id in impact.moved.items():
        unit = session.get(Unit, unit_id)
        assert unit is not None
        unit.organization_id, unit.updated_at = org_id, now
        session.add(unit)
    for unit in impact.revotes:
        session.execute(
            delete(SealedRound).where(
                col(SealedRound.unit_id) == unit.id, col(SealedRound.round) == unit.vote_round
            )
        )
        session.add(
            AuditEntry(
                unit_id=unit.id,  # type: ignore[arg-type]
                at=now,
                actor=actor,
                trigger="voters_changed",
                from_state=unit.state,
                to_state=unit.state,
                reason=coded("voters_changed", round=unit.vote_round, next=unit.vote_round + 1),
            )
        )
        unit.vote_round += 1
        unit.updated_at = now
        session.add(unit)
    session.flush()
