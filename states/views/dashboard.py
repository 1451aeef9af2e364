"""The committee dashboard: per stage how far the units are, who is overdue (by organization,
with the ladder step reached), and a unit's history from the audit log.

A directing team sees the organizations the plan gives it, the head of an organization its
subtree, the launching committee (its head or one above, the office's side) the whole cycle.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from models.cycle import AuditEntry, Comment, Cycle, Escalation, StageDeadline, Unit
from models.errors import ActionRefused, Refusal
from models.organization import Member, Organization
from states.acting import recorded_by
from states.cycles import days_late, get_cycle, get_member, get_units, plan_of
from states.directory import Directory, OrgNode
from states.machine import STAGE_OF_STATE, STAGES, UnitState
from states.seating import directing_teams
from states.views._common import member_names, named_typist, names_of
from vocabulary.reasons import worded

# The order units move through; a returned unit is back at its self-review.
_RANK = {
    UnitState.PLAN_ISSUED: 0,
    UnitState.SELF_REVIEW: 1,
    UnitState.RETURNED: 1,
    UnitState.PEER_REVIEW: 2,
    UnitState.VOTE: 3,
    UnitState.APPROVAL: 4,
    UnitState.PUBLISHED: 5,
    UnitState.REMEDIATION: 5,
    UnitState.CLOSED: 6,
}
_STAGE_RANK = {"self_review": 1, "peer_review": 2, "vote": 3, "approval": 4}


@dataclass(frozen=True)
class StageProgress:
    stage: str
    done: int  # units past the stage
    current: int  # units in it now
    overdue: int  # of those, past its due time
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass(frozen=True)
class OverdueUnit:
    code: str
    name: str
    stage: str
    due_at: datetime
    days_late: int
    step: int | None  # the last ladder step queued (1 = the first), None if none yet


@dataclass(frozen=True)
class OverdueOrganization:
    code: str
    name: str
    units: list[OverdueUnit]


@dataclass(frozen=True)
class Scope:
    whole_cycle: bool
    roots: list[OrgNode]  # the organizations seen, with everything under them
    label: str  # "office", "team:<code>", "head:<org>"


@dataclass(frozen=True)
class Dashboard:
    cycle: str
    title: str
    scope: Scope
    units: int
    states: dict[str, int]
    stages: list[StageProgress]
    overdue: list[OverdueOrganization]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    trigger: str
    from_state: str
    to_state: str
    reason: str | None
    # Who typed it when not the actor (a secretary's name, the CLI operator), and how.
    recorded_by: str | None = None
    recorded_via: str = "system"
    # A peer-review comment (trigger "comment", no move): what was said.
    text: str | None = None


def scope_of(
    session: Session,
    cycle: Cycle,
    directory: Directory,
    *,
    member_code: str | None = None,
    office_of: str | None = None,
) -> Scope:
    """What a member (by code) or an organization's office may watch in the cycle: the office
    of the launching committee or one above it, and its head, the whole cycle; another
    office or head its organization's subtree; a directing team's lead the team's
    organizations. Refused if nothing."""
    launching = directory.orgs[cycle.launched_by_id]
    roots: list[OrgNode] = []
    teams = []
    who = office_of or member_code or ""
    if office_of is not None:
        office = directory.by_code.get(office_of)
        if office is not None and launching.path.startswith(office.path):
            return Scope(True, [launching], "office")
        if office is not None and office.path.startswith(launching.path):
            roots.append(office)
    if member_code is not None:
        person = get_member(session, member_code)
        who = f"{person.code} ({person.full_name})"
        if directory.leads_within(person.leads_id, launching.id):
            return Scope(True, [launching], "office")
        teams = [t for t in directing_teams(directory, cycle) if person.code in t.members]
        roots += [
            directory.by_code[c] for t in teams for c in t.organizations if c in directory.by_code
        ]
        if person.leads_id is not None and person.leads_id in directory.orgs:
            roots.append(directory.orgs[person.leads_id])
    if not roots:
        raise ActionRefused(
            Refusal("dashboard_not_yours", fields={"person": who, "cycle": cycle.code})
        )
    label = f"team:{teams[0].code}" if teams else f"head:{roots[0].code}"
    return Scope(False, roots, label)


def _in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.whole_cycle:
        return []
    return [or_(*(col(Organization.path).startswith(r.path) for r in scope.roots))]


def dashboard(
    session: Session,
    cycle_code: str,
    now: datetime,
    *,
    member_code: str | None = None,
    office_of: str | None = None,
) -> Dashboard:
    """The cycle as a member or an office may watch it (`scope_of`)."""
    cycle = get_cycle(session, cycle_code)
    directory = Directory.load(session)
    scope = scope_of(session, cycle, directory, member_code=member_code, office_of=office_of)
    where = [col(Unit.cycle_id) == cycle.id, *_in_scope(scope)]
    states = {s.value: 0 for s in UnitState}
    for state, n in session.execute(
        sa_select(col(Unit.state), func.count())
        .join(Organization, col(Organization.id) == col(Unit.organization_id))
        .where(*where)
        .group_by(col(Unit.state))
    ):
        states[state] = n
    total = sum(states.values())
    overdue_rows = _overdue(session, cycle, where, now)
    late_by_stage: dict[str, int] = defaultdict(int)
    for row in overdue_rows:
        late_by_stage[row[1].stage] += 1
    stages = [
        StageProgress(
            stage=stage,
            done=sum(n for s, n in states.items() if _RANK[UnitState(s)] > _STAGE_RANK[stage]),
            current=sum(n for s, n in states.items() if _RANK[UnitState(s)] == _STAGE_RANK[stage]),
            overdue=late_by_stage[stage]
            + (late_by_stage["re_review"] if stage == "self_review" else 0),
            total=total,
        )
        for stage in STAGES
    ]
    by_org: dict[int, list[OverdueUnit]] = defaultdict(list)
    for org_id, item in overdue_rows:
        by_org[directory.rollup(org_id).id].append(item)
    overdue = [
        OverdueOrganization(directory.orgs[o].code, directory.orgs[o].name, items)
        for o, items in sorted(
            by_org.items(), key=lambda kv: (-len(kv[1]), directory.orgs[kv[0]].code)
        )
    ]
    return Dashboard(cycle.code, cycle.title, scope, total, states, stages, overdue)


def _overdue(
    session: Session, cycle: Cycle, where: list[ColumnElement[bool]], now: datetime
) -> list[tuple[int, OverdueUnit]]:
    """(organization id, unit) for each unit past the due time of the stage it is in, with
    the last ladder step queued for it: one query per stage, not per unit."""
    plan = plan_of(cycle)
    directory = Directory.load(session)
    step = (
        sa_select(func.max(Escalation.step))
        .where(
            col(Escalation.unit_id) == col(Unit.id),
            col(Escalation.stage) == col(StageDeadline.stage),
        )
        .scalar_subquery()
    )
    found = []
    for state, stage in STAGE_OF_STATE.items():
        rows = session.exec(
            select(Unit, StageDeadline.due_at, step)
            .join(
                StageDeadline,
                and_(col(StageDeadline.unit_id) == col(Unit.id), col(StageDeadline.stage) == stage),
            )
            .join(Organization, col(Organization.id) == col(Unit.organization_id))
            .where(*where, col(Unit.state) == state.value, col(StageDeadline.due_at) <= now)
            .order_by(col(StageDeadline.due_at), col(Unit.code))
        ).all()
        names = names_of(session, [r[0] for r in rows], directory)
        found += [
            (
                unit.organization_id,
                OverdueUnit(
                    unit.code,
                    names[unit.id or 0],
                    stage,
                    due,
                    days_late(due, now, plan),
                    None if last is None else last + 1,
                ),
            )
            for unit, due, last in rows
        ]
    return found


def unit_history(
    session: Session,
    cycle_code: str,
    unit_code: str,
    *,
    member_code: str | None = None,
    office_of: str | None = None,
) -> list[HistoryEntry]:
    """The unit's audit log, oldest first, to whoever may watch its organization, and to the
    member it reviews."""
    cycle = get_cycle(session, cycle_code)
    unit = get_units(session, cycle, [unit_code])[0]
    directory = Directory.load(session)
    subject = member_code is not None and unit.member_id == get_member(session, member_code).id
    scope = (
        Scope(True, [], "subject")
        if subject
        else scope_of(session, cycle, directory, member_code=member_code, office_of=office_of)
    )
    if not scope.whole_cycle and not any(
        directory.in_subtree(unit.organization_id, r.id) for r in scope.roots
    ):
        raise ActionRefused(
            Refusal(
                "unit_not_in_scope", unit=unit.code, fields={"person": member_code or office_of}
            )
        )
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.unit_id == unit.id).order_by(col(AuditEntry.id))
    ).all()
    comments = session.execute(
        sa_select(Comment, col(Member.code))
        .join(Member, col(Member.id) == col(Comment.author_id))
        .where(col(Comment.unit_id) == unit.id)
    ).all()
    typists = member_names(
        session,
        [e.operator for e in entries if e.via != "cli"]
        + [c.entered_by for c, _ in comments if c.entered_via != "cli"],
    )
    said = [
        HistoryEntry(
            c.at,
            speaker,
            "comment",
            unit.state,
            unit.state,
            None,
            named_typist(recorded_by(c.entered_via, c.entered_by, speaker), c.entered_via, typists),
            c.entered_via,
            c.text,
        )
        for c, speaker in comments
    ]
    moves = [
        HistoryEntry(
            e.at,
            e.actor,
            e.trigger,
            e.from_state,
            e.to_state,
            worded(e.reason) or None,  # the system's own reasons in the reader's language
            named_typist(recorded_by(e.via, e.operator, e.actor), e.via, typists),
            e.via,
        )
        for e in entries
    ]

    # Comments among the moves, by time; at the same instant a comment comes after the move
    # into peer review and before any move out of it (comments are made only in it).
    def order(h: HistoryEntry) -> tuple[datetime, int]:
        if h.trigger == "comment":
            return h.at, 1
        return h.at, 0 if h.to_state == UnitState.PEER_REVIEW.value else 2

    return sorted(moves + said, key=order)


@dataclass(frozen=True)
class AtRisk:
    """An organization's stage the forecast says will miss its due day at the present pace."""

    organization: str
    name: str
    stage: str
    done: int
    units: int
    pace_per_day: float
    projected: str | None  # ISO local day, None when nothing is moving
    due: str


def at_risk_view(session: Session, scope: Scope, cycle_code: str, now: datetime) -> list[AtRisk]:
    """The forecast's organizations at risk (states.insights), within what `scope` watches."""
    from states.insights import forecast, tracks
    from states.insights._rows import load_rows

    cycle = get_cycle(session, cycle_code)
    directory = Directory.load(session)
    loaded = load_rows(session, cycle, texts=False)  # the forecast reads no text
    rows = forecast(tracks(loaded), now=now, plan=plan_of(cycle))
    found = []
    for row in rows:
        node = directory.by_code.get(row["organization"])
        if not row["at_risk"] or node is None:
            continue
        if not scope.whole_cycle and not any(
            directory.in_subtree(node.id, r.id) for r in scope.roots
        ):
            continue
        found.append(
            AtRisk(
                node.code,
                node.name,
                row["stage"],
                row["done"],
                row["units"],
                row["pace_per_day"],
                row["projected"],
                row["due"],
            )
        )
    return found
