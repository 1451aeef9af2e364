"""The approval desk of one committee: the units it decides side by side, the cap on excellent
per comparable group, and every rule a proposed set of decisions would break, checked by the
same functions `approve` checks with (set-based: a grassroots committee decides hundreds)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from models.cycle import Cycle, Level, SelfReview, Unit, UnitKind
from models.errors import ActionRefused, Refusal
from models.organization import Member, Organization
from states.approval_rules import cap_allows, cap_limit, choice_problem, rule_problems
from states.cycles import get_cycle, get_member, rules_of
from states.directory import Directory, OrgNode
from states.groups import Group, group_of
from states.guards import PERSON_GUARDS, GuardContext
from states.machine import UnitState
from states.rule_set import RuleSet
from states.service import Checked
from states.views._common import as_refusals, context, names_of


@dataclass(frozen=True)
class DeskUnit:
    code: str
    name: str
    kind: UnitKind
    organization: str
    proposed_level: Level | None  # what the vote carried
    self_proposed: Level | None  # what the unit proposed for itself
    score: int | None
    decision: Level | None  # the level the desk is about to decide
    chosen: bool  # among the units the action decides
    group: str | None  # the comparable group's label, where the rule set caps excellent


@dataclass(frozen=True)
class GroupCap:
    label: str
    kind: UnitKind  # the units compared
    organization: str  # the organization they are compared within (its name)
    excellent: int  # already decided plus the decisions on the desk
    good: int
    limit: int  # how many excellent the group's good allow
    share: float

    @property
    def ok(self) -> bool:
        return cap_allows(self.excellent, self.good, self.share)


@dataclass(frozen=True)
class ApprovalDesk:
    cycle: str
    organization: str
    organization_name: str
    levels: list[Level]
    units: list[DeskUnit]
    caps: list[GroupCap]
    # Every rule the decisions on the desk would break; empty: they may be decided.
    problems: list[Refusal]


def _approving_org(
    session: Session, cycle_code: str, org_code: str, person_code: str
) -> tuple[Cycle, Member, GuardContext, OrgNode]:
    cycle = get_cycle(session, cycle_code)
    actor = get_member(session, person_code)
    ctx = context(session, cycle, actor, [])
    org = ctx.directory.by_code.get(org_code)
    if org is None:
        raise ActionRefused(Refusal("no_such_organization", fields={"organization": org_code}))
    if not ctx.directory.leads_within(actor.leads_id, org.id):
        raise ActionRefused(
            Refusal(
                "not_on_approving_committee",
                fields={"person": f"{actor.code} ({actor.full_name})", "organization": org.code},
            )
        )
    return cycle, actor, ctx, org


def approval_view(
    session: Session,
    cycle_code: str,
    org_code: str,
    person_code: str,
    *,
    decisions: Mapping[str, Level] | None = None,
    reason: str | None = None,
    only: Collection[str] | None = None,
) -> ApprovalDesk:
    """The units awaiting `org_code`'s decision, with `decisions` (unit code → level, the
    rest keep their proposed level) checked against every rule, as `approve` would decide
    the units named in `only` (all of them if None) in one action."""
    cycle, actor, ctx, org = _approving_org(session, cycle_code, org_code, person_code)
    directory = ctx.directory
    rules = rules_of(cycle)
    below = [*directory.children.get(org.id, []), *([org.id] if org.parent_id is None else [])]
    units = list(
        session.exec(
            select(Unit)
            .where(
                Unit.cycle_id == cycle.id,
                Unit.state == UnitState.APPROVAL.value,
                col(Unit.organization_id).in_(below),
            )
            .order_by(col(Unit.organization_id), col(Unit.kind), col(Unit.code))
        ).all()
    )
    wanted = dict(decisions or {})
    decided: dict[str, Level] = {}
    problems: list[Refusal] = []
    reason = reason.strip() if reason and reason.strip() else None
    chosen = [u for u in units if only is None or u.code in only]
    ctx.batch = chosen
    for unit in chosen:
        final = wanted.get(unit.code) or unit.proposed_level
        problem = choice_problem(unit.code, unit.proposed_level, final, reason)
        if problem:
            problems += as_refusals([problem], unit.code)
        if final is not None:
            # Counted in the rules even while its reason is missing: the desk shows live
            # what the decisions as typed would do to the cap.
            decided[unit.code] = final
        waits = PERSON_GUARDS["prerequisites_decided"](ctx, unit)
        if waits is not None:
            problems += as_refusals([waits], unit.code)
    members = {
        m.id: m
        for m in session.exec(
            select(Member).where(col(Member.id).in_([u.member_id for u in units if u.member_id]))
        )
        if m.id is not None
    }
    checked = Checked(cycle, actor, chosen, [], ctx)
    problems += as_refusals(rule_problems(session, checked, decided, rules, members))
    caps = _caps(session, cycle.id or 0, chosen, decided, rules, directory)
    self_proposed = dict(
        session.exec(
            select(SelfReview.unit_id, SelfReview.proposed_level)
            .where(col(SelfReview.unit_id).in_([u.id for u in units]))
            .order_by(col(SelfReview.id))
        ).all()
    )
    names = names_of(session, units, directory)
    groups = {u.code: group_of(u, directory, rules) for u in units}
    return ApprovalDesk(
        cycle=cycle.code,
        organization=org.code,
        organization_name=org.name,
        levels=list(rules.levels),
        units=[
            DeskUnit(
                code=u.code,
                name=names[u.id or 0],
                kind=u.kind,
                organization=directory.orgs[u.organization_id].code,
                proposed_level=u.proposed_level,
                self_proposed=_level(self_proposed.get(u.id or 0)),
                score=u.score,
                decision=decided.get(u.code) or wanted.get(u.code) or u.proposed_level,
                chosen=only is None or u.code in only,
                group=g.label() if (g := groups[u.code]) else None,
            )
            for u in units
        ],
        caps=caps,
        problems=problems,
    )


def _caps(
    session: Session,
    cycle_id: int,
    units: list[Unit],
    decided: Mapping[str, Level],
    rules: RuleSet,
    directory: Directory,
) -> list[GroupCap]:
    """Each comparable group on the desk: excellent and good decided before, plus the desk's."""
    cap = rules.excellent_cap
    if cap is None or not units:
        return []
    groups: dict[tuple[str, int], Group] = {}
    counts: dict[tuple[str, int], list[int]] = {}
    for unit in units:
        group = group_of(unit, directory, rules)
        if group is not None:
            groups[group.key] = group
            counts.setdefault(group.key, [0, 0])
            _add(counts[group.key], decided.get(unit.code))
    earlier = session.exec(
        select(Unit)
        .join(Organization, col(Organization.id) == col(Unit.organization_id))
        .where(
            Unit.cycle_id == cycle_id,
            col(Unit.final_level).in_([Level.EXCELLENT, Level.GOOD]),
            col(Unit.kind).in_(list({g.kind for g in groups.values()})),
            col(Unit.code).not_in([u.code for u in units]),
            or_(*(col(Organization.path).startswith(g.org.path) for g in groups.values())),
        )
    ).all()
    for unit in earlier:
        group = group_of(unit, directory, rules)
        if group is not None and group.key in counts:
            _add(counts[group.key], unit.final_level)
    share = cap.share_of_good
    return [
        GroupCap(
            groups[k].label(), groups[k].kind, groups[k].org.name, e, g, cap_limit(g, share), share
        )
        for k, (e, g) in sorted(counts.items(), key=lambda kv: groups[kv[0]].label())
    ]


def _level(value: str | None) -> Level | None:
    return Level(value) if value else None


def _add(count: list[int], level: Level | None) -> None:
    if level is Level.EXCELLENT:
        count[0] += 1
    elif level is Level.GOOD:
        count[1] += 1
