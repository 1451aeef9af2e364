"""Simulated people: each acts on time, late or never, through the same service layer as the CLI.

Whether a member is prompt, late or absent is drawn once per member from the seed, so a run
is repeatable and the same people are late at every stage, as in life.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from models import ActionRefused, Ballot, Level, Member, StageDeadline, Unit, session_scope
from models.settings import Settings
from states import approve, comment, return_for_review, submit_self_review, vote
from states.cycles import get_cycle, local_day, plan_of
from states.directory import Directory
from states.guards import Electorate
from states.machine import STAGE_OF_STATE, UnitState
from states.plan import Plan
from states.self_review import ShortcomingInput

PROMPT, LATE, NEVER = "prompt", "late", "never"
_LEVELS = [Level.EXCELLENT, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED]


@dataclass
class People:
    """Who is prompt, late or absent, and how many actions each kind of person took."""

    seed: int
    actions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: int = 0
    returned: set[str] = field(default_factory=set)
    _delays: dict[tuple[int, str], int | None] = field(default_factory=dict, repr=False)

    def profile(self, member_id: int) -> str:
        draw = random.Random(f"{self.seed}:{member_id}").random()
        return PROMPT if draw < 0.72 else LATE if draw < 0.92 else NEVER

    def delay(self, member_id: int, stage: str) -> int | None:
        """Days after the due day this member acts at this stage (negative: before it)."""
        # Asked for every unit every simulated day; seeding a generator each time is the cost.
        key = (member_id, stage)
        if key not in self._delays:
            rng = random.Random(f"{self.seed}:{member_id}:{stage}")
            profile = self.profile(member_id)
            self._delays[key] = (
                None
                if profile == NEVER
                else -rng.randint(0, 3)
                if profile == PROMPT
                else rng.randint(1, 5)
            )
        return self._delays[key]

    def level(self, key: str) -> Level:
        draw = random.Random(f"{self.seed}:level:{key}").random()
        return _LEVELS[0 if draw < 0.15 else 1 if draw < 0.8 else 2 if draw < 0.97 else 3]


@dataclass
class _World:
    plan: Plan
    directory: Directory
    electorate: Electorate
    units: list[Unit]
    due: dict[tuple[int, str], date]
    codes: dict[int, str]
    voted: set[tuple[int, int]]


def _load(session: Session, cycle_code: str) -> _World:
    cycle = get_cycle(session, cycle_code)
    plan = plan_of(cycle)
    units = list(session.exec(select(Unit).where(Unit.cycle_id == cycle.id)).all())
    # Plain columns, not ORM objects: this runs every simulated day over every deadline.
    due = {
        (unit_id, stage): local_day(due_at, plan)
        for unit_id, stage, due_at in session.exec(
            select(StageDeadline.unit_id, StageDeadline.stage, StageDeadline.due_at)
            .join(Unit, col(Unit.id) == col(StageDeadline.unit_id))
            .where(Unit.cycle_id == cycle.id)
        )
    }
    directory = Directory.load(session)
    codes = {i: c for i, c in session.exec(select(Member.id, Member.code)) if i is not None}
    voted = set(
        session.exec(
            select(Ballot.unit_id, Ballot.voter_id)
            .join(Unit, col(Unit.id) == col(Ballot.unit_id))
            .where(Unit.cycle_id == cycle.id, Unit.state == UnitState.VOTE.value)
        ).all()
    )
    return _World(
        plan, directory, Electorate(session, directory).load_all(), units, due, codes, voted
    )


def _head(world: _World, org_id: int) -> int | None:
    for node in world.directory.lineage(org_id):
        heads = world.directory.heads.get(node.id)
        if heads:
            return heads[0]
    return None


def _author(world: _World, unit: Unit) -> int | None:
    return unit.member_id if unit.member_id else _head(world, unit.organization_id)


def _ready(people: People, world: _World, unit: Unit, actor: int | None, today: date) -> bool:
    stage = STAGE_OF_STATE.get(UnitState(unit.state), "approval")
    if actor is None or unit.id is None or (unit.id, stage) not in world.due:
        return False
    delay = people.delay(actor, stage)
    return delay is not None and today >= date.fromordinal(
        world.due[(unit.id, stage)].toordinal() + delay
    )


def act_for_a_day(
    *, engine: Engine, cycle_code: str, people: People, now: datetime, settings: Settings
) -> None:
    """Everyone whose moment has come does what their units are waiting for."""
    with Session(engine) as session:
        world = _load(session, cycle_code)
    today = now.astimezone(world.plan.zone).date()
    code_of = world.codes
    batches: dict[tuple[str, int, Any], list[str]] = defaultdict(list)
    papers: dict[int, dict[str, Level]] = defaultdict(dict)  # voter -> one ballot paper
    for unit in world.units:
        state = UnitState(unit.state)
        if state in (UnitState.SELF_REVIEW, UnitState.RETURNED, UnitState.REMEDIATION):
            author = _author(world, unit)
            if state is UnitState.REMEDIATION:
                if author and people.profile(author) == PROMPT:
                    batches[("remediated", author, None)].append(unit.code)
            elif _ready(people, world, unit, author, today):
                batches[("submit", author, None)].append(unit.code)  # type: ignore[index]
        elif state is UnitState.PEER_REVIEW:
            voters = world.electorate.voters(unit)
            head = _head(world, unit.organization_id)
            speaker = head if head in voters else min(voters, default=None)
            if _ready(people, world, unit, speaker, today):
                batches[("comment", speaker, None)].append(unit.code)  # type: ignore[index]
        elif state is UnitState.VOTE:
            for voter in world.electorate.voters(unit):
                if (unit.id, voter) not in world.voted and _ready(
                    people, world, unit, voter, today
                ):
                    choice = (
                        unit.proposed_level
                        if people.level(f"{voter}:{unit.id}") != Level.EXCELLENT
                        else Level.GOOD
                    )
                    papers[voter][unit.code] = choice or Level.GOOD
        elif state is UnitState.APPROVAL:
            approving = world.directory.approving(unit.organization_id)
            approver = _head(world, approving.id)
            if _ready(people, world, unit, approver, today):
                wants_return = random.Random(f"{people.seed}:return:{unit.id}").random() < 0.03
                verb = "return" if wants_return and unit.code not in people.returned else "approve"
                batches[(verb, approver, None)].append(unit.code)  # type: ignore[index]
    for (verb, actor, extra), codes in sorted(batches.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        _perform(engine, verb, cycle_code, code_of[actor], codes, extra, people, now, settings)
    for voter, paper in sorted(papers.items()):
        _perform(
            engine, "vote", cycle_code, code_of[voter], list(paper), paper, people, now, settings
        )


def _perform(
    engine: Engine,
    verb: str,
    cycle: str,
    actor: str,
    codes: list[str],
    extra: Any,
    people: People,
    now: datetime,
    settings: Settings,
) -> None:
    calls: dict[str, Callable[[Session, list[str]], Any]] = {
        "comment": lambda s, c: comment(
            session=s,
            cycle_code=cycle,
            unit_codes=c,
            actor_code=actor,
            now=now,
            text="Đồng ý với bản tự kiểm điểm; đề nghị làm rõ thêm nguyên nhân chủ quan.",
        ),
        "vote": lambda s, c: vote(
            session=s, cycle_code=cycle, ballots=extra, actor_code=actor, now=now
        ),
        "approve": lambda s, c: approve(
            session=s, cycle_code=cycle, unit_codes=c, actor_code=actor, now=now
        ),
        "return": lambda s, c: return_for_review(
            session=s,
            cycle_code=cycle,
            unit_codes=c,
            actor_code=actor,
            now=now,
            settings=settings,
            reason="Bản kiểm điểm còn chung chung, chưa chỉ rõ nguyên nhân chủ quan của hạn chế.",
        ),
    }
    if verb == "submit":
        for code in codes:
            _one(
                engine,
                verb,
                people,
                partial(
                    _single, verb=verb, cycle=cycle, code=code, actor=actor, now=now, people=people
                ),
            )
        return
    _one(engine, verb, people, lambda s: calls[verb](s, codes), len(codes))
    if verb == "return":
        people.returned.update(codes)


def _single(
    session: Session, verb: str, cycle: str, code: str, actor: str, now: datetime, people: People
) -> Any:
    has_shortcomings = random.Random(f"{people.seed}:short:{code}").random() < 0.3
    return submit_self_review(
        session=session,
        cycle_code=cycle,
        unit_code=code,
        actor_code=actor,
        now=now,
        proposed_level=people.level(code),
        strengths="Hoàn thành các nhiệm vụ được giao; giữ gìn phẩm chất, đạo đức.",
        shortcomings=(
            [ShortcomingInput("Có lúc chưa chủ động nghiên cứu nghị quyết.")]
            if has_shortcomings
            else []
        ),
        remedies="Tăng cường tự học, tự rèn luyện." if has_shortcomings else "",
    )


def _one(
    engine: Engine, verb: str, people: People, call: Callable[[Session], Any], n: int = 1
) -> None:
    try:
        with session_scope(engine) as session:
            call(session)
        people.actions[verb] += n
    except ActionRefused:
        people.refused += 1


__all__ = ["People", "act_for_a_day"]
