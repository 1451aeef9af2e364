"""Simulated people: each acts on time, late or never, through the same service layer as the CLI.

Whether a member is prompt, late or absent is drawn once per member from the seed, so a run
is repeatable and the same people are late at every stage, as in life. They follow the
process's order themselves (a collective's review before its members' peer reviews, lower
units decided before higher), as a secretary would, so what the service refuses is rare.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from kiemdiem.demo.approver import plan_decisions
from kiemdiem.demo.world import World, load_world
from kiemdiem.demo.writing import EMPTY_PRAISE, copied_review, honest_review, peer_comment
from models import ActionRefused, Level, Unit, session_scope
from models.db import probe_writable
from models.settings import Settings
from states import approve, comment, return_for_review, submit_self_review, vote
from states.machine import STAGE_OF_STATE, UnitState
from states.peer_review import give_opinion
from states.remediation import assign_shortcomings, report_remediation
from states.self_review import ShortcomingInput
from states.suggestions import suggest
from states.voting import close_vote

PROMPT, LATE, NEVER = "prompt", "late", "never"
_LEVELS = [Level.EXCELLENT, Level.GOOD, Level.COMPLETED, Level.NOT_COMPLETED]
_SCORES = {Level.EXCELLENT: (90, 98), Level.GOOD: (70, 89), Level.COMPLETED: (50, 69)}
_SUPERFICIAL = "Bản kiểm điểm còn chung chung, chưa chỉ rõ nguyên nhân chủ quan của hạn chế."
_PAST = {UnitState.PLAN_ISSUED, UnitState.SELF_REVIEW, UnitState.RETURNED}


@dataclass
class People:
    """Who is prompt, late or absent, and how many actions each kind of person took."""

    seed: int
    actions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refused: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    returned: set[str] = field(default_factory=set)
    suggested: bool = False
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

    def score(self, key: str, level: Level) -> int:
        low, high = _SCORES.get(level, (35, 49))
        return random.Random(f"{self.seed}:score:{key}").randint(low, high)

    def chance(self, key: str) -> float:
        return random.Random(f"{self.seed}:{key}").random()

    # A few planted cases of formalism, so `cycle insights` has something to show: members
    # who copy a colleague's review with some words changed, cells that rate everyone good,
    # cells whose comments are only praise (states.insights finds them, bench/ measures).
    def copies(self, code: str) -> bool:
        return self.chance(f"copy:{code}") < 0.02

    def uniform(self, org_id: int) -> bool:
        return self.chance(f"uniform:{org_id}") < 0.06

    def hollow(self, org_id: int) -> bool:
        return self.chance(f"hollow:{org_id}") < 0.06


@dataclass
class _Day:
    world: World
    people: People
    today: date
    now: datetime
    cycle: str
    settings: Settings
    calls: list[tuple[str, int, Callable[..., Any]]] = field(default_factory=list)

    def ready(self, unit: Unit, actor: int | None, stage: str | None = None) -> bool:
        stage = stage or STAGE_OF_STATE.get(UnitState(unit.state), "approval")
        due = self.world.due.get((unit.id, stage))  # type: ignore[arg-type]
        if actor is None or due is None:
            return False
        delay = self.people.delay(actor, stage)
        return delay is not None and self.today.toordinal() >= due.toordinal() + delay

    def code(self, member_id: int) -> str:
        return self.world.codes[member_id]

    def call(self, verb: str, action: Callable[..., Any], n: int = 1, **kwargs: Any) -> None:
        """Do `action` (a service) today, in a transaction of its own, counted as `n` `verb`s;
        its session is given when it runs."""
        self.calls.append((verb, n, partial(action, now=self.now, **kwargs)))

    def in_cycle(self, verb: str, action: Callable[..., Any], n: int = 1, **kwargs: Any) -> None:
        """`call` for an action on the cycle's units."""
        self.call(verb, action, n, cycle_code=self.cycle, **kwargs)


def act_for_a_day(
    *, engine: Engine, cycle_code: str, people: People, now: datetime, settings: Settings
) -> None:
    """Everyone whose moment has come does what their units are waiting for."""
    with Session(engine) as session:
        world = load_world(session, cycle_code)
    day = _Day(world, people, now.astimezone(world.plan.zone).date(), now, cycle_code, settings)
    if not people.suggested:
        _suggestions(day)
        people.suggested = True
    comments: dict[int, list[str]] = defaultdict(list)
    papers: dict[int, dict[str, Level]] = defaultdict(dict)  # voter -> one ballot paper
    closing: dict[int, list[str]] = defaultdict(list)
    for unit in world.units:
        state = UnitState(unit.state)
        if state in (UnitState.SELF_REVIEW, UnitState.RETURNED):
            author = unit.member_id or world.head(unit.organization_id)
            if day.ready(unit, author):
                _submit(day, unit, world.codes[author])  # type: ignore[index]
        elif state is UnitState.PEER_REVIEW:
            _peer_review(day, unit, comments)
        elif state is UnitState.VOTE:
            _vote(day, unit, papers, closing)
        elif state is UnitState.PUBLISHED and unit.id in world.unowned:
            _assign(day, unit)
    for speaker, codes in sorted(comments.items()):
        named = set(codes)
        cells = {u.organization_id for u in world.units if u.code in named}
        rng = random.Random(f"{people.seed}:comment:{speaker}:{day.today}")
        hollow = all(people.hollow(org) for org in cells)
        day.in_cycle(
            "comment",
            comment,
            len(codes),
            unit_codes=codes,
            actor_code=day.code(speaker),
            text=rng.choice(EMPTY_PRAISE) if hollow else peer_comment(rng),
        )
    for voter, paper in sorted(papers.items()):
        day.in_cycle("vote", vote, len(paper), ballots=paper, actor_code=day.code(voter))
    for secretary, codes in sorted(closing.items()):
        actor = day.code(secretary)
        day.in_cycle(
            "close_vote",
            close_vote,
            len(codes),
            unit_codes=codes,
            actor_code=actor,
            settings=day.settings,
        )
    _approvals(day)
    _remediation(day)
    perform(engine, day.calls, people)


# Actions per transaction: enough that a commit's set-up is paid rarely, few enough that the
# transaction's pages stay in SQLite's cache instead of spilling to the log mid-transaction.
PER_TRANSACTION = 200


def perform(
    engine: Engine, calls: Sequence[tuple[str, int, Callable[..., Any]]], people: People
) -> None:
    """Do the day's actions in order, a few hundred to a transaction.

    Each action is what a person does in a request of their own (the same service call, its
    checks, audit entries and mail); one commit per batch instead of one per action saves the
    demo a transaction's set-up and the cycle's lookup thousands of times a day. A refused
    action must write nothing, as its own transaction would: a batch is first tried whole
    without savepoints (most are refused nothing, and a savepoint and its release are two
    statements an action), and only a batch in which something was refused is rolled back
    and done again with each action in a savepoint. Only on SQLite, where a rolled-back
    insert leaves no trace (a new row's id is the largest plus one): on PostgreSQL the batch
    tried first would take sequence numbers, and a suggestion's number is its id."""
    at_once = engine.dialect.name == "sqlite"
    for start in range(0, len(calls), PER_TRANSACTION):
        batch = calls[start : start + PER_TRANSACTION]
        if not (at_once and _all_at_once(engine, batch, people)):
            _each_in_a_savepoint(engine, batch, people)


def _all_at_once(
    engine: Engine, batch: Sequence[tuple[str, int, Callable[..., Any]]], people: People
) -> bool:
    """The batch in one transaction, committed if no action was refused; else rolled back
    whole, nothing counted, False."""
    done: dict[str, int] = defaultdict(int)
    try:
        with session_scope(engine) as session:
            for verb, n, action in batch:
                action(session=session)
                done[verb] += n
    except ActionRefused:
        return False
    for verb, n in done.items():
        people.actions[verb] += n
    return True


def _each_in_a_savepoint(
    engine: Engine, batch: Sequence[tuple[str, int, Callable[..., Any]]], people: People
) -> None:
    """The batch in one transaction, each action in a savepoint: a refused one rolls back to
    its savepoint only."""
    with session_scope(engine) as session:
        # A write first: SQLite's driver begins the transaction only before a write, and
        # a savepoint outside one would commit when released.
        probe_writable(session)
        for verb, n, action in batch:
            try:
                with session.begin_nested():
                    action(session=session)
                people.actions[verb] += n
            except ActionRefused:
                people.refused[verb] += 1


def _suggestions(day: _Day) -> None:
    """Before self-review the inspection commission writes to a few members with known
    problems, and the committee above to a few organizations (001_, 003_)."""
    world = day.world
    inspector = world.plan.inspection_commission[0] if world.plan.inspection_commission else None
    members = [u.code for u in world.units if u.code.startswith("M:")]
    chosen = [c for c in members if day.people.chance(f"suggest:{c}") < 0.02]
    if inspector and chosen:
        text = "Đề nghị làm rõ việc chấp hành quy định về những điều đảng viên không được làm."
        _suggest(day, inspector, chosen, text)
    for unit in world.units:
        if unit.code.startswith("O:") and day.people.chance(f"suggest:{unit.code}") < 0.05:
            head = world.head(world.directory.approving(unit.organization_id).id)
            if head is not None:
                text = "Đề nghị kiểm điểm làm rõ nguyên nhân chậm triển khai nghị quyết."
                _suggest(day, day.code(head), [unit.code], text)


def _writing(day: _Day, unit: Unit) -> Any:
    """The review the unit's author writes: their own, or a cellmate's copied."""
    people, code = day.people, unit.code
    own = honest_review(random.Random(f"{people.seed}:text:{code}"))
    if unit.member_id is None or not people.copies(code):
        return own
    mates = sorted(
        u.code
        for u in day.world.units
        if u.organization_id == unit.organization_id and u.code.startswith("M:") and u.code != code
    )
    if not mates:
        return own
    source = honest_review(random.Random(f"{people.seed}:text:{mates[0]}"))
    rng = random.Random(f"{people.seed}:copy:{code}")
    return copied_review(rng, source, rng.uniform(0.05, 0.2))


def _submit(day: _Day, unit: Unit, actor: str) -> None:
    people, code = day.people, unit.code
    level = people.level(code)
    if unit.member_id is not None and people.uniform(unit.organization_id):
        level = Level.GOOD
    has_shortcomings = people.chance(f"short:{code}") < 0.3
    written = _writing(day, unit)
    answers = {
        s: "Đã tiếp thu, nghiêm túc kiểm điểm và có kế hoạch khắc phục."
        for s in day.world.suggestions.get(unit.id, [])  # type: ignore[arg-type]
    }
    form: dict[str, Any] = {
        "proposed_level": level,
        "score": people.score(code, level) if day.world.rules.scored else None,
        "criteria": dict.fromkeys(day.world.rules.criteria, written.criteria),
        "strengths": written.strengths,
        "shortcomings": [ShortcomingInput(written.shortcoming, cause=written.cause)]
        if has_shortcomings
        else [],
        "remedies": written.remedies if has_shortcomings else "",
        "answers": answers,
    }
    day.in_cycle("submit", submit_self_review, unit_code=code, actor_code=actor, **form)


def _peer_review(day: _Day, unit: Unit, comments: Any) -> None:
    world = day.world
    if unit.member_id is not None:
        collective = world.collective(unit)
        if collective is not None and UnitState(collective.state) in _PAST:
            return  # the collective's own review comes first
    voters = world.electorate.voters(unit)
    head = world.head(unit.organization_id, besides=unit.member_id)
    speaker = head if head in voters else min(voters, default=None)
    if speaker is not None and day.ready(unit, speaker):
        comments[speaker].append(unit.code)
    for source in world.awaited.get(unit.id, []):  # type: ignore[arg-type]
        kind, _, org_code = source.partition(":")
        if kind == "residence":
            giver = world.head(world.directory.by_code[org_code].id)
        else:  # an office's opinion, compiled by the district's organization office
            giver = world.head(world.directory.by_code[world.plan.launched_by].id)
        if giver is not None and day.ready(unit, giver):
            day.in_cycle(
                "opinion",
                give_opinion,
                unit_code=unit.code,
                source=source,
                actor_code=day.code(giver),
                text="Đồng chí gương mẫu, tích cực tham gia hoạt động tại nơi cư trú.",
            )


def _vote(day: _Day, unit: Unit, papers: Any, closing: Any) -> None:
    world = day.world
    voters = world.electorate.voters(unit)
    for voter in voters:
        if (unit.id, voter) in world.voted or not day.ready(unit, voter):
            continue
        proposed: Level = unit.proposed_level or Level.GOOD
        dissent = day.people.level(f"{voter}:{unit.id}") == Level.EXCELLENT
        # In a revote people converge on what most can stand behind.
        converge = (unit.vote_round > 1 or dissent) and proposed == Level.EXCELLENT
        papers[voter][unit.code] = Level.GOOD if converge else proposed
    secretary = world.head(_vote_org(world, unit), besides=unit.member_id)
    cast = sum((unit.id, v) in world.voted for v in voters)
    # A secretary closes once everyone has voted, or on their day if the quorum is there.
    quorate = not voters or cast > world.rules.vote.quorum * len(voters)
    if secretary is not None and quorate and (cast == len(voters) or day.ready(unit, secretary)):
        closing[secretary].append(unit.code)


def _vote_org(world: World, unit: Unit) -> int:
    if unit.member_id is None:
        parent = world.directory.parent(unit.organization_id)
        return parent.id if parent else unit.organization_id
    return unit.organization_id


def _approvals(day: _Day) -> None:
    world = day.world
    ready: dict[int, list[Unit]] = defaultdict(list)
    for unit in world.units:
        if unit.state != UnitState.APPROVAL.value:
            continue
        # A committee never decides its own head: their review goes to the head above.
        approving = world.directory.approving(unit.organization_id).id
        approver = world.head(approving, besides=unit.member_id)
        if approver is not None and day.ready(unit, approver):
            ready[approver].append(unit)
    for approver, units in sorted(ready.items()):
        actor = day.code(approver)
        to_return = [
            u.code
            for u in units
            if u.code not in day.people.returned and day.people.chance(f"return:{u.id}") < 0.03
        ]
        if to_return:
            day.people.returned.update(to_return)
            day.in_cycle(
                "return",
                return_for_review,
                len(to_return),
                unit_codes=to_return,
                actor_code=actor,
                settings=day.settings,
                reason=_SUPERFICIAL,
            )
        levels, lowered = plan_decisions(world, [u for u in units if u.code not in to_return])
        if levels:
            # One reason for the batch: it is written against the lowered units only.
            reason = (
                "Cấp ủy cấp trên quyết định theo khung điểm, tỷ lệ xuất sắc và mức xếp loại "
                "của tập thể."
                if lowered
                else None
            )
            day.in_cycle(
                "approve",
                approve,
                len(levels),
                unit_codes=list(levels),
                actor_code=actor,
                levels=levels,
                reason=reason,
                settings=day.settings,
            )


def _assign(day: _Day, unit: Unit) -> None:
    """The head splits the collective's shortcomings among members of its committee."""
    world = day.world
    head = world.head(unit.organization_id)
    if head is None or not day.ready(unit, head, "approval"):
        return
    committee = sorted(world.directory.committee(unit.organization_id)) or [head]
    owners = [day.code(m) for m in committee[:2]]
    for shortcoming_id in world.unowned[unit.id]:  # type: ignore[index]
        day.in_cycle(
            "assign",
            assign_shortcomings,
            unit_code=unit.code,
            shortcoming_id=shortcoming_id,
            owner_codes=owners,
            actor_code=day.code(head),
        )


def _remediation(day: _Day) -> None:
    """Owners report their shortcomings remedied some days after they were recorded."""
    for shortcoming_id, owner, recorded in day.world.open_items:
        delay = day.people.delay(owner, "remediation")
        if delay is None or day.today.toordinal() < recorded.toordinal() + 4 + delay:
            continue
        day.call(
            "remedied",
            report_remediation,
            shortcoming_id=shortcoming_id,
            actor_code=day.code(owner),
            note="Đã khắc phục: tham gia đầy đủ sinh hoạt, có sản phẩm cụ thể.",
            remedied=True,
        )


def _suggest(day: _Day, actor: str, codes: list[str], text: str) -> None:
    day.in_cycle(
        "suggest",
        suggest,
        len(codes),
        unit_codes=codes,
        actor_code=actor,
        text=text,
        settings=day.settings,
    )


__all__ = ["People", "act_for_a_day", "perform"]
