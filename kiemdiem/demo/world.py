"""What the simulated people see each day: one read of the cycle as plain columns."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models import Member, Opinion, StageDeadline, Suggestion, Unit, VoterRoll
from models.remediation import RemediationStatus, Shortcoming
from states.cycles import get_cycle, local_day, plan_of, rules_of
from states.directory import Directory
from states.guards import Electorate
from states.ordering import Collective, Collectives, collective_of, collectives_among, prerequisites
from states.plan import Plan
from states.rule_set import RuleSet


@dataclass
class World:
    cycle_id: int
    plan: Plan
    rules: RuleSet
    directory: Directory
    electorate: Electorate
    units: list[Unit]
    due: dict[tuple[int, str], date]
    codes: dict[int, str]
    # (unit, voter) who voted in the unit's current round
    voted: set[tuple[int, int]]
    suggestions: dict[int, list[int]] = field(default_factory=dict)
    # unit id -> sources whose opinion is still awaited
    awaited: dict[int, list[str]] = field(default_factory=dict)
    # collective unit id -> its shortcomings with no owner yet
    unowned: dict[int, list[int]] = field(default_factory=dict)
    # (shortcoming id, owner id, recorded day) of items not yet remedied
    open_items: list[tuple[int, int, date]] = field(default_factory=list)
    members_of: dict[int, list[int]] = field(default_factory=dict)
    collectives: Collectives = field(default_factory=dict)

    def by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    def head(self, org_id: int, *, besides: int | None = None) -> int | None:
        """The nearest head from this organization up, other than `besides`."""
        for node in self.directory.lineage(org_id):
            for head in self.directory.heads.get(node.id, []):
                if head != besides:
                    return head
        return None

    def collective(self, unit: Unit) -> Collective | None:
        """The collective an individual's review rests on: its cell, or the body it leads."""
        return collective_of(self.collectives, unit)

    def prerequisites(self, unit: Unit) -> list[str]:
        """Units decided before this one, by the service's own ordering rules."""
        return [c.code for c in prerequisites(self.collectives, unit, self.directory)]


def load_world(session: Session, cycle_code: str) -> World:
    cycle = get_cycle(session, cycle_code)
    assert cycle.id is not None
    plan = plan_of(cycle)
    units = list(session.exec(select(Unit).where(Unit.cycle_id == cycle.id)).all())
    in_cycle = col(Unit.cycle_id) == cycle.id
    # Thousands of deadlines share a few dozen instants: each converted to its day once.
    days: dict[datetime, date] = {}
    due = {
        (unit_id, stage): days.get(due_at) or days.setdefault(due_at, local_day(due_at, plan))
        for unit_id, stage, due_at in session.exec(
            select(StageDeadline.unit_id, StageDeadline.stage, StageDeadline.due_at)
            .join(Unit, col(Unit.id) == col(StageDeadline.unit_id))
            .where(in_cycle)
        )
    }
    directory = Directory.load(session)
    codes = {i: c for i, c in session.exec(select(Member.id, Member.code)) if i is not None}
    voted = set(
        session.exec(
            select(VoterRoll.unit_id, VoterRoll.voter_id)
            .join(
                Unit,
                and_(
                    col(Unit.id) == col(VoterRoll.unit_id),
                    col(Unit.vote_round) == col(VoterRoll.round),
                ),
            )
            .where(in_cycle, Unit.state == "vote")
        ).all()
    )
    world = World(
        cycle.id,
        plan,
        rules_of(cycle),
        directory,
        Electorate(session, directory).load_all(),
        units,
        due,
        codes,
        voted,
    )
    for unit_id, suggestion_id in session.exec(
        select(Suggestion.unit_id, Suggestion.id)
        .join(Unit, col(Unit.id) == col(Suggestion.unit_id))
        .where(in_cycle)
    ):
        world.suggestions.setdefault(unit_id, []).append(suggestion_id)  # type: ignore[arg-type]
    for unit_id, source in session.exec(
        select(Opinion.unit_id, Opinion.source)
        .join(Unit, col(Unit.id) == col(Opinion.unit_id))
        .where(in_cycle, col(Opinion.received_at).is_(None), col(Opinion.missing).is_(False))
    ):
        world.awaited.setdefault(unit_id, []).append(source)
    rows = session.execute(
        sa_select(
            col(Shortcoming.id),
            col(Shortcoming.unit_id),
            col(Shortcoming.owner_id),
            col(Shortcoming.split_from_id),
            col(Shortcoming.status),
            col(Shortcoming.recorded_at),
        ).where(col(Shortcoming.cycle_id) == cycle.id)
    ).all()
    split = {row[3] for row in rows if row[3] is not None}
    for sid, unit_id, owner, _, status, recorded in rows:
        assert sid is not None
        if owner is None and sid not in split:
            world.unowned.setdefault(unit_id, []).append(sid)
        elif owner is not None and status != RemediationStatus.REMEDIED:
            world.open_items.append((sid, owner, recorded.astimezone(plan.zone).date()))
    members_of: dict[int, list[int]] = defaultdict(list)
    for member_id, org_id in session.exec(select(Member.id, Member.organization_id)):
        members_of[org_id].append(member_id)  # type: ignore[arg-type]
    world.members_of = dict(members_of)
    world.collectives = collectives_among(units)
    return world
