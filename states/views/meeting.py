"""The meeting, as its secretary runs it: the comments and opinions recorded, the roll of who
has voted (never how; no counts before the round is closed), and what the secretary may do.

Two actions live here because only a page needs them: the secretary records a comment a
member made at the meeting (`record_comment`), and opens the vote once the meeting is ready
(`open_vote`, the same conditions the tick opens it on, so nobody waits for the morning).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.cycle import OFFICE, AuditEntry, Comment, Level, Opinion, Unit, UnitKind
from models.errors import ActionRefused, Refusal
from models.organization import Member
from states.acting import acting, audit_fields, check_people_may_act, current, recorded_by
from states.advance import discussed_clause
from states.cycles import get_cycle, get_member, get_units, plan_of, rules_of
from states.machine import UnitState, machine_for
from states.opinions import opinions_settled_clause
from states.ordering import collective_reviewed_clause
from states.peer_review import comment
from states.service import ActionResult
from states.views._common import as_refusals, context, member_names, named_typist, names_of
from states.vote_standing import RoundCount, vote_standing
from states.voting import held_in

RUNS = "actor_runs_the_vote"


@dataclass(frozen=True)
class CommentRow:
    author_code: str
    author_name: str
    at: datetime
    text: str
    # Who typed it in when not its author (a member's name, or the CLI operator), and how.
    recorded_by: str | None = None
    recorded_via: str = "page"


@dataclass(frozen=True)
class OpinionRow:
    source: str
    source_name: str
    status: str  # awaited | given | missing
    due_at: datetime
    text: str | None
    recorded_by: str | None = None
    recorded_via: str = "page"


@dataclass(frozen=True)
class Voter:
    code: str
    name: str
    voted: bool


@dataclass(frozen=True)
class MeetingView:
    cycle: str
    unit: str
    unit_name: str
    kind: UnitKind
    state: str
    held_in: str  # the organization whose meeting it is
    round: int
    ballot: str  # secret | open
    proposed_level: Level | None
    comments: list[CommentRow]
    opinions: list[OpinionRow]
    # Everyone eligible to vote in the current round, with whether they have voted.
    roll: list[Voter]
    # Counts of rounds already closed; the current round's never while it is open.
    closed_rounds: list[RoundCount]
    # Who may be named as the speaker of a comment the secretary records.
    speakers: list[Voter]
    # What the secretary may do now: comment, opinion, open_vote, close_vote.
    actions: list[str]

    @property
    def voted(self) -> int:
        return sum(v.voted for v in self.roll)


def _guard_refusals(problem: object, unit: str) -> list[Refusal]:
    return as_refusals([problem], unit) if isinstance(problem, str | Refusal) else []


def _runs_the_vote(session: Session, cycle_code: str, unit: Unit, actor: Member) -> None:
    """Refuse unless `actor` runs this unit's vote (the guard close_vote is checked with)."""
    from states.guards import PERSON_GUARDS

    cycle = get_cycle(session, cycle_code)
    problem = PERSON_GUARDS[RUNS](context(session, cycle, actor, [unit]), unit)
    if problem is not None:
        raise ActionRefused(*_guard_refusals(problem, unit.code))


def meeting_view(
    session: Session, cycle_code: str, unit_code: str, person_code: str
) -> MeetingView:
    """The unit's meeting as its secretary sees it; refused to anyone who does not run it."""
    cycle = get_cycle(session, cycle_code)
    unit = get_units(session, cycle, [unit_code])[0]
    actor = get_member(session, person_code)
    _runs_the_vote(session, cycle_code, unit, actor)
    ctx = context(session, cycle, actor, [unit])
    directory = ctx.directory
    plan, rules = plan_of(cycle), rules_of(cycle)
    rows = session.execute(
        sa_select(
            col(Member.code),
            col(Member.full_name),
            col(Comment.at),
            col(Comment.text),
            col(Comment.entered_by),
            col(Comment.entered_via),
        )
        .join(Member, col(Member.id) == col(Comment.author_id))
        .where(col(Comment.unit_id) == unit.id)
        .order_by(col(Comment.id))
    ).all()
    typed = session.exec(
        select(Opinion).where(Opinion.unit_id == unit.id).order_by(col(Opinion.id))
    ).all()
    who = member_names(
        session, [r[4] for r in rows if r[5] != "cli"] + [o.entered_by for o in typed]
    )
    comments = [
        CommentRow(code, name, at, text, named_typist(recorded_by(via, by, code), via, who), via)
        for code, name, at, text, by, via in rows
    ]
    offices = {o.code: o.name for o in plan.opinions.offices}
    opinions = []
    for o in typed:
        kind, _, code = o.source.partition(":")
        node = directory.by_code.get(code)
        name = offices.get(code, code) if kind == OFFICE else (node.name if node else code)
        status = "given" if o.received_at else "missing" if o.missing else "awaited"
        # The source is an organization: whoever typed its opinion in is always named.
        typist = named_typist(recorded_by(o.entered_via, o.entered_by, None), o.entered_via, who)
        opinions.append(OpinionRow(o.source, name, status, o.due_at, o.text, typist, o.entered_via))
    eligible = ctx.electorate.voters(unit)
    standing = vote_standing(session, cycle, unit)
    roll_codes = set(standing.roll) if standing and standing.open else set()
    people: Sequence[Member] = (
        session.exec(
            select(Member).where(col(Member.id).in_(eligible)).order_by(col(Member.code))
        ).all()
        if eligible
        else []
    )
    roll = [Voter(m.code, m.full_name, m.code in roll_codes) for m in people]
    actions: list[str] = []
    if unit.state == UnitState.PEER_REVIEW:
        actions += ["comment", "open_vote"]
        if any(o.status == "awaited" for o in opinions):
            actions.append("opinion")
    if unit.state == UnitState.VOTE:
        actions.append("close_vote")
    return MeetingView(
        cycle=cycle.code,
        unit=unit.code,
        unit_name=names_of(session, [unit], directory)[unit.id or 0],
        kind=unit.kind,
        state=unit.state,
        held_in=held_in(directory, unit).name,
        round=unit.vote_round,
        ballot=rules.vote.ballot,
        proposed_level=unit.proposed_level,
        comments=comments,
        opinions=opinions,
        roll=roll,
        closed_rounds=standing.counted if standing else [],
        speakers=roll,
        actions=actions,
    )


def record_comment(
    *,
    session: Session,
    cycle_code: str,
    unit_code: str,
    actor_code: str,
    speaker_code: str,
    now: datetime,
    text: str,
) -> ActionResult:
    """The secretary records a comment `speaker_code` made at the meeting (their own, when
    the speaker is the secretary): the speaker must be one who may comment on the unit."""
    if speaker_code == actor_code:
        return comment(
            session=session,
            cycle_code=cycle_code,
            unit_codes=[unit_code],
            actor_code=actor_code,
            now=now,
            text=text,
        )
    cycle = get_cycle(session, cycle_code)
    unit = get_units(session, cycle, [unit_code])[0]
    _runs_the_vote(session, cycle_code, unit, get_member(session, actor_code))
    how = current()
    # The audit entry names the speaker as its actor and the secretary who typed it as its
    # operator (at the CLI the operator is already the OS user who typed it).
    operator = how.operator if how.via == "cli" else actor_code
    with acting(how.via, operator=operator, people_may_act=how.people_may_act):
        return comment(
            session=session,
            cycle_code=cycle_code,
            unit_codes=[unit_code],
            actor_code=speaker_code,
            now=now,
            text=text,
            entered_by=actor_code,
        )


def open_vote(
    *,
    session: Session,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    now: datetime,
) -> ActionResult:
    """The secretary opens the vote on each named unit now, on the tick's own conditions (a
    comment on the review under discussion, no opinion awaited, the collective reviewed);
    any unit not ready refuses them all, saying what it waits for."""
    if not unit_codes:
        raise ActionRefused(Refusal("name_a_unit"))
    check_people_may_act()
    codes = list(dict.fromkeys(unit_codes))
    cycle = get_cycle(session, cycle_code)
    units = get_units(session, cycle, codes, lock="update")
    actor = get_member(session, actor_code)
    ctx = context(session, cycle, actor, units)
    from states.guards import PERSON_GUARDS

    problems: list[Refusal] = []
    for unit in units:
        if unit.state != UnitState.PEER_REVIEW:
            problems.append(
                Refusal("vote_opens_from_peer_review", unit=unit.code, fields={"state": unit.state})
            )
            continue
        problems += _guard_refusals(PERSON_GUARDS[RUNS](ctx, unit), unit.code)
    ready = {
        unit_id: (discussed, settled, reviewed)
        for unit_id, discussed, settled, reviewed in session.execute(
            sa_select(
                col(Unit.id),
                discussed_clause(),
                opinions_settled_clause(),
                collective_reviewed_clause(),
            ).where(col(Unit.id).in_([u.id for u in units]))
        )
    }
    for unit in units:
        if unit.state != UnitState.PEER_REVIEW:
            continue
        discussed, settled, reviewed = ready[unit.id or 0]
        if not discussed:
            problems.append(Refusal("vote_needs_comment", unit=unit.code))
        if not settled:
            problems.append(Refusal("vote_awaits_opinions", unit=unit.code))
        if not reviewed:
            problems.append(Refusal("vote_awaits_collective", unit=unit.code))
    if problems:
        raise ActionRefused(*problems)
    dest = machine_for(units[0].kind).move("open_vote", UnitState.PEER_REVIEW).dest
    assert dest is not None
    session.execute(
        update(Unit)
        .where(col(Unit.id).in_([u.id for u in units]))
        .values(state=dest.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        insert(AuditEntry),
        [
            {
                "unit_id": u.id,
                "at": now,
                "actor": actor.code,
                "trigger": "open_vote",
                "from_state": u.state,
                "to_state": dest.value,
                "reason": None,
                **audit_fields(),
            }
            for u in units
        ],
    )
    moved = {u.code: (u.state, dest.value) for u in units}
    for unit in units:
        unit.state = dest.value
    return ActionResult("open_vote", codes, moved)
