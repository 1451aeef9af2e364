"""The final report of a cycle for the standing committee, as data: counts per level per
organization and per comparable group with the cap check, overdue and returned units, and
remediation. Pure reads, one query per table (never one per unit); rendering is elsewhere.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case
from sqlmodel import Session, col, func, select

from models.cycle import AuditEntry, Cycle, Level, StageDeadline, Unit, UnitKind
from models.organization import Member, OrgLevel
from models.remediation import RemediationStatus, Shortcoming
from states.approval_rules import cap_limit
from states.cycles import days_late, get_cycle, local_day, plan_of, rules_of
from states.directory import Directory, OrgNode
from states.groups import group_of
from states.insights import cycle_insights
from states.machine import STAGE_OF_STATE
from states.rule_set import RuleSet


@dataclass
class LevelCounts:
    """Units per final level, and those with no final level yet (chưa xếp loại)."""

    by_level: dict[Level, int] = field(default_factory=lambda: dict.fromkeys(Level, 0))
    undecided: int = 0

    def add(self, level: Level | None, n: int = 1) -> None:
        if level is None:
            self.undecided += n
        else:
            self.by_level[level] += n

    def merge(self, other: LevelCounts) -> None:
        for level, n in other.by_level.items():
            self.by_level[level] += n
        self.undecided += other.undecided

    @property
    def decided(self) -> int:
        return sum(self.by_level.values())

    @property
    def total(self) -> int:
        return self.decided + self.undecided


@dataclass
class OrgCounts:
    """One organization's counts per kind of unit (only kinds it has units of)."""

    code: str
    name: str
    level: OrgLevel | None
    kinds: dict[UnitKind, LevelCounts] = field(default_factory=dict)

    def add(self, kind: UnitKind, counts: LevelCounts) -> None:
        self.kinds.setdefault(kind, LevelCounts()).merge(counts)

    @property
    def all_kinds(self) -> LevelCounts:
        total = LevelCounts()
        for counts in self.kinds.values():
            total.merge(counts)
        return total


@dataclass(frozen=True)
class CapCheck:
    allowed: int
    excellent: int

    @property
    def within(self) -> bool:
        return self.excellent <= self.allowed


def cap_check(*, excellent: int, good: int, share_of_good: float) -> CapCheck:
    """Excellent may be at most floor(share × good); exact, so 0.2 × 5 allows exactly 1."""
    return CapCheck(cap_limit(good, share_of_good), excellent)


@dataclass
class GroupRow:
    kind: UnitKind
    code: str
    name: str
    counts: LevelCounts
    check: CapCheck


@dataclass(frozen=True)
class OverdueUnit:
    code: str
    name: str
    organization: str
    stage: str
    due: date
    days_late: int


@dataclass(frozen=True)
class ReturnedUnit:
    code: str
    name: str
    organization: str
    reason: str
    returned_by: str
    at: datetime
    state: str


@dataclass(frozen=True)
class RemediationItem:
    unit_code: str
    unit_name: str
    organization: str
    text: str
    owner: str
    due: date | None
    status: RemediationStatus
    # The item's id, and for a part of a split collective shortcoming the original's id.
    id: int | None = None
    part_of: int | None = None


@dataclass
class RemediationRow:
    code: str
    name: str
    by_status: dict[RemediationStatus, int] = field(
        default_factory=lambda: dict.fromkeys(RemediationStatus, 0)
    )


@dataclass
class CycleReport:
    code: str
    title: str
    document: str
    rule_set: str
    launched_by: str
    now: datetime
    # The cycle's time zone (Asia/Ho_Chi_Minh): `today` and local times are read in it.
    timezone: str
    today: date
    share_of_good: float | None
    organizations: list[OrgCounts]
    grassroots: list[OrgCounts]
    totals: OrgCounts
    groups: list[GroupRow]
    overdue: list[OverdueUnit]
    returned: list[ReturnedUnit]
    remediation: list[RemediationRow]
    remediation_items: list[RemediationItem]
    # Formalism signals, the forecast and comparable positions (states.insights).
    insights: dict[str, Any] | None = None

    @property
    def over_cap(self) -> list[GroupRow]:
        return [g for g in self.groups if not g.check.within]

    @property
    def remediation_totals(self) -> dict[RemediationStatus, int]:
        return dict(Counter(item.status for item in self.remediation_items))

    @property
    def open_shortcomings(self) -> int:
        return sum(not item.status.is_remedied for item in self.remediation_items)


def _name(unit_member: Member | None, org: OrgNode) -> str:
    return unit_member.full_name if unit_member else org.name


def _tally(
    session: Session, cycle: Cycle, directory: Directory, rules: RuleSet
) -> tuple[dict[int, OrgCounts], dict[int, OrgCounts], OrgCounts, list[GroupRow]]:
    """Counts per organization (own units), per grassroots subtree, for the cycle, per group:
    one GROUP BY over the units; the tree and the groups are walked once per organization."""
    root = directory.orgs[cycle.launched_by_id]
    orgs = {
        node.id: OrgCounts(node.code, node.name, node.level)
        for node in sorted(directory.orgs.values(), key=lambda n: n.path)
        if node.path.startswith(root.path)
    }
    rolled: dict[int, OrgCounts] = {}
    totals = OrgCounts("", "", None)
    groups: dict[tuple[str, int], GroupRow] = {}
    counted = session.exec(
        select(Unit.organization_id, Unit.kind, Unit.final_level, func.count())
        .where(Unit.cycle_id == cycle.id)
        .group_by(col(Unit.organization_id), col(Unit.kind), col(Unit.final_level))
    ).all()
    for org_id, kind, level, n in counted:
        counts = LevelCounts()
        counts.add(Level(level) if level else None, n)
        kind = UnitKind(kind)
        node = directory.orgs[org_id]
        orgs.setdefault(org_id, OrgCounts(node.code, node.name, node.level)).add(kind, counts)
        top = directory.rollup(org_id)
        rolled.setdefault(top.id, OrgCounts(top.code, top.name, top.level)).add(kind, counts)
        totals.add(kind, counts)
        # group_of reads only the kind and where the unit is reviewed: one stand-in per pair.
        stand_in = Unit(
            cycle_id=cycle.id or 0, code="", state="", kind=kind, organization_id=org_id
        )
        group = group_of(stand_in, directory, rules)
        if group is not None:
            row = groups.setdefault(
                group.key,
                GroupRow(kind, group.org.code, group.org.name, LevelCounts(), CapCheck(0, 0)),
            )
            row.counts.merge(counts)
    share = rules.excellent_cap.share_of_good if rules.excellent_cap else 0
    for row in groups.values():
        row.check = cap_check(
            excellent=row.counts.by_level[Level.EXCELLENT],
            good=row.counts.by_level[Level.GOOD],
            share_of_good=share,
        )
    kind_order = list(UnitKind)
    ordered = sorted(
        groups.values(),
        key=lambda g: (kind_order.index(g.kind), directory.by_code[g.code].path),
    )
    return orgs, rolled, totals, ordered


def cycle_report(session: Session, cycle_code: str, now: datetime) -> CycleReport:
    """Everything the report workbook shows for the cycle at `now`."""
    cycle = get_cycle(session, cycle_code)
    plan, rules, directory = plan_of(cycle), rules_of(cycle), Directory.load(session)
    root = directory.orgs[cycle.launched_by_id]
    orgs, rolled, totals, groups = _tally(session, cycle, directory, rules)

    # Overdue: the deadline of the stage the unit's state names, passed at `now` (as status.py).
    stage_of = case({s.value: stage for s, stage in STAGE_OF_STATE.items()}, value=col(Unit.state))
    late = session.exec(
        select(Unit, StageDeadline.stage, StageDeadline.due_at)
        .join(
            StageDeadline,
            and_(col(StageDeadline.unit_id) == col(Unit.id), col(StageDeadline.stage) == stage_of),
        )
        .where(Unit.cycle_id == cycle.id, col(StageDeadline.due_at) <= now)
    ).all()
    returns = session.exec(
        select(AuditEntry, Unit)
        .join(Unit, col(Unit.id) == col(AuditEntry.unit_id))
        .where(Unit.cycle_id == cycle.id, AuditEntry.trigger == "return_for_review")
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    ).all()
    shortcomings = session.exec(
        select(Shortcoming, Unit)
        .join(Unit, col(Unit.id) == col(Shortcoming.unit_id))
        .where(Shortcoming.cycle_id == cycle.id)
        .order_by(col(Shortcoming.id))
    ).all()
    wanted_ids = {u.member_id for u, *_ in late} | {u.member_id for _, u in returns}
    wanted_ids |= {u.member_id for _, u in shortcomings} | {s.owner_id for s, _ in shortcomings}
    actors = {a.actor for a, _ in returns}
    members = session.exec(
        select(Member).where(
            col(Member.id).in_([i for i in wanted_ids if i is not None])
            | col(Member.code).in_(actors)
        )
    ).all()
    by_id = {m.id: m for m in members}
    by_code = {m.code: m for m in members}

    overdue = sorted(
        (
            OverdueUnit(
                code=u.code,
                name=_name(by_id.get(u.member_id), directory.orgs[u.organization_id]),
                organization=directory.orgs[u.organization_id].name,
                stage=stage,
                due=local_day(due_at, plan),
                days_late=days_late(due_at, now, plan),
            )
            for u, stage, due_at in late
        ),
        key=lambda o: (-o.days_late, o.stage, o.code),
    )
    returned = [
        ReturnedUnit(
            code=u.code,
            name=_name(by_id.get(u.member_id), directory.orgs[u.organization_id]),
            organization=directory.orgs[u.organization_id].name,
            reason=a.reason or "",
            returned_by=f"{by_code[a.actor].full_name} ({a.actor})"
            if a.actor in by_code
            else a.actor,
            at=a.at,
            state=u.state,
        )
        for a, u in returns
    ]

    # A collective's shortcoming split among members lives on in its copies: count those only.
    split = {s.split_from_id for s, _ in shortcomings if s.split_from_id is not None}
    items: list[RemediationItem] = []
    per_org: dict[int, RemediationRow] = {}
    for s, u in shortcomings:
        if s.id in split:
            continue
        node = directory.orgs[u.organization_id]
        owner = by_id.get(s.owner_id)
        items.append(
            RemediationItem(
                unit_code=u.code,
                unit_name=_name(by_id.get(u.member_id), node),
                organization=node.name,
                text=s.text,
                owner=f"{owner.full_name} ({owner.code})" if owner else "",
                due=local_day(s.due_at, plan) if s.due_at else None,
                status=RemediationStatus(s.status),
                id=s.id,
                part_of=s.split_from_id,
            )
        )
        tally = per_org.setdefault(node.id, RemediationRow(node.code, node.name))
        tally.by_status[RemediationStatus(s.status)] += 1

    return CycleReport(
        code=cycle.code,
        title=cycle.title,
        document=cycle.document,
        rule_set=rules.title,
        launched_by=root.name,
        now=now,
        timezone=cycle.timezone,
        today=now.astimezone(plan.zone).date(),
        share_of_good=rules.excellent_cap.share_of_good if rules.excellent_cap else None,
        organizations=[o for o in orgs.values() if o.kinds],
        grassroots=sorted(rolled.values(), key=lambda o: directory.by_code[o.code].path),
        totals=totals,
        groups=groups,
        overdue=overdue,
        returned=returned,
        remediation=sorted(per_org.values(), key=lambda r: directory.by_code[r.code].path),
        remediation_items=items,
        insights=cycle_insights(session=session, cycle=cycle, now=now),
    )
