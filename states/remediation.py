"""Shortcomings and their remediation, carried from one year's cycle to the next.

At approval each decided unit's shortcomings are recorded (`record_shortcomings`): its latest
self-review's and the approving committee's conclusions, each a remediation item with an owner
and a due date. A collective's items have no owner until `assign_shortcomings` splits them
among named members (001_: no collective fault without someone responsible); until then the
tick keeps the unit published. The tick marks items past due overdue and closes a unit once
every item is remedied. A unit's StageDeadline "remediation" is the due time of its earliest
open item, so a unit late with its remediation escalates up the plan's ladder like any stage.

The next year's cycle names this one as its previous cycle: `carried_over` lists what its
units must answer for in their self-review, `unremedied_earlier` what keeps them from
excellent under 366.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from models.cycle import AuditEntry, Cycle, SelfReview, StageDeadline, Unit
from models.errors import ActionRefused, NotFound
from models.organization import Member
from models.remediation import RemediationNote, RemediationStatus, Shortcoming
from states.cycles import format_day, get_cycle, get_member, get_units, plan_of
from states.directory import Directory
from states.guards import GuardContext, person_guard
from states.machine import STAGE_OF_STATE, UnitState
from states.service import ActionResult, apply_moves, check_action

R = RemediationStatus
# Items someone is still working on; a recurred item's remediation continues in its successor.
OPEN = (R.OPEN, R.IN_PROGRESS, R.OVERDUE)
STAGE = STAGE_OF_STATE[UnitState.REMEDIATION]
NOTHING = "Nothing was changed."


def _split(item: Any = Shortcoming) -> ColumnElement[bool]:
    """SQL: `item` is an original that has been split among owners (its copies are the items)."""
    copy = aliased(Shortcoming)
    return exists().where(col(copy.split_from_id) == item.id)


def _refuse(problems: list[str]) -> None:
    if problems:
        raise ActionRefused("\n".join([*problems, NOTHING]))


# --- recording at approval ---------------------------------------------------------------


def record_shortcomings(
    session: Session,
    cycle: Cycle,
    units: Sequence[Unit],
    *,
    now: datetime,
    conclusions: Sequence[str],
    actor: Member,
) -> int:
    """At approval: record each unit's shortcomings (its latest self-review's, plus the
    approving committee's conclusions), with remediation due dates; return how many.

    A unit's shortcomings are recorded once: a unit that already has some in this cycle is
    left as it is. A self-review item that `repeats` an earlier shortcoming still open is not
    recorded twice (the earlier item carries over); one that repeats a remedied shortcoming is
    recorded anew and the earlier one becomes recurred.
    """
    ids = [u.id for u in units]
    if not ids:
        return 0
    plan = plan_of(cycle)
    due = plan.due_at((now.astimezone(plan.zone) + timedelta(days=plan.remediation_days)).date())
    done = set(
        session.exec(select(Shortcoming.unit_id).where(col(Shortcoming.unit_id).in_(ids))).all()
    )
    reviews = session.exec(
        select(SelfReview.unit_id, SelfReview.shortcomings_json)
        .where(col(SelfReview.unit_id).in_(ids))
        .order_by(col(SelfReview.id))
    ).all()
    items = {unit_id: json.loads(text) for unit_id, text in reviews}  # the latest wins
    repeated = _repeatable(session, cycle, units, items)
    rows: list[dict[str, Any]] = []
    for unit in units:
        if unit.id in done:
            continue
        owner = None if unit.kind.is_collective else unit.member_id
        base: dict[str, Any] = {"cycle_id": cycle.id, "unit_id": unit.id, "unit_code": unit.code}
        base |= {"owner_id": owner, "due_at": due, "status": R.OPEN, "recorded_at": now}
        before = len(rows)
        for item in items.get(unit.id or 0, []):
            text = str(item.get("text") or "").strip()
            earlier = repeated.get((unit.id, item.get("repeats")))
            if not text or (earlier is not None and earlier.status in OPEN):
                continue  # still being remedied: it carries over as it is
            if earlier is not None and earlier.status == R.REMEDIED:
                earlier.status = R.RECURRED
                session.add(earlier)
            rows.append(
                base
                | {
                    "source": "self_review",
                    "text": text,
                    "cause": str(item.get("cause") or ""),
                    "carried_from_id": earlier.id if earlier else None,
                }
            )
        for text in (c.strip() for c in conclusions):
            if text:
                rows.append(base | {"source": "conclusion", "text": text, "cause": ""})
        unit.has_shortcomings = len(rows) > before
        session.add(unit)
    if rows:
        session.execute(insert(Shortcoming), rows)
    _sync_deadlines(session, [i for i in ids if i not in done and i is not None])
    return len(rows)


def _repeatable(
    session: Session, cycle: Cycle, units: Sequence[Unit], items: dict[int, list[dict[str, Any]]]
) -> dict[tuple[int | None, Any], Shortcoming]:
    """(unit id, shortcoming id) → the earlier shortcoming a self-review item records again,
    when it is one of the unit's subject in an earlier cycle of the chain."""
    wanted = {i["repeats"] for listed in items.values() for i in listed if i.get("repeats")}
    chain = _earlier_cycles(session, cycle)
    if not wanted or not chain:
        return {}
    found = {
        s.id: s
        for s in session.exec(
            select(Shortcoming).where(
                col(Shortcoming.id).in_(wanted), col(Shortcoming.cycle_id).in_(chain)
            )
        ).all()
    }
    result: dict[tuple[int | None, Any], Shortcoming] = {}
    for unit in units:
        for item in items.get(unit.id or 0, []):
            earlier = found.get(item.get("repeats"))
            if earlier is not None and _concerns(earlier, unit):
                result[(unit.id, earlier.id)] = earlier
    return result


def _concerns(item: Shortcoming, unit: Unit) -> bool:
    """Whether an earlier cycle's item is the unit's: the same subject, or the same member."""
    if item.unit_code == unit.code:
        return True
    return (
        not unit.kind.is_collective
        and item.owner_id is not None
        and item.owner_id == unit.member_id
    )


def _sync_deadlines(session: Session, unit_ids: Sequence[int]) -> None:
    """Each unit's remediation is due when its earliest open item is; none open, no deadline."""
    if not unit_ids:
        return
    session.flush()
    earliest: dict[int, datetime] = {
        unit_id: due
        for unit_id, due in session.execute(
            sa_select(col(Shortcoming.unit_id), func.min(col(Shortcoming.due_at)))
            .where(
                col(Shortcoming.unit_id).in_(unit_ids),
                col(Shortcoming.status).in_(OPEN),
                col(Shortcoming.due_at).is_not(None),
                ~_split(),
            )
            .group_by(col(Shortcoming.unit_id))
        )
    }
    rows = session.exec(
        select(StageDeadline).where(
            col(StageDeadline.unit_id).in_(unit_ids), StageDeadline.stage == STAGE
        )
    ).all()
    existing = {r.unit_id: r for r in rows}
    for unit_id in unit_ids:
        due, row = earliest.get(unit_id), existing.get(unit_id)
        if due is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(StageDeadline(unit_id=unit_id, stage=STAGE, due_at=due))
        elif row.due_at != due:
            row.due_at = due
            session.add(row)
    session.flush()


# --- carried over from earlier cycles -----------------------------------------------------


def _earlier_cycles(session: Session, cycle: Cycle) -> list[int]:
    """The ids of the cycles before this one, the previous one first."""
    chain: list[int] = []
    current = cycle.previous_cycle_id
    while current is not None and current not in chain and current != cycle.id:
        chain.append(current)
        current = session.exec(select(Cycle.previous_cycle_id).where(Cycle.id == current)).one()
    return chain


def _earlier(session: Session, cycle: Cycle, units: Sequence[Unit]) -> dict[int, list[Shortcoming]]:
    """Per unit id: the previous cycle's items of its subject (all statuses), and older ones
    still unremedied that no later cycle of the chain recorded again. One query."""
    result: dict[int, list[Shortcoming]] = {u.id: [] for u in units if u.id is not None}
    chain = _earlier_cycles(session, cycle)
    if not chain or not result:
        return result
    by_code: dict[str, list[int]] = defaultdict(list)
    by_member: dict[int, list[int]] = defaultdict(list)
    for u in units:
        assert u.id is not None
        by_code[u.code].append(u.id)
        if not u.kind.is_collective and u.member_id is not None:
            by_member[u.member_id].append(u.id)
    later = aliased(Shortcoming)
    superseded = exists().where(
        col(later.carried_from_id) == col(Shortcoming.id), col(later.cycle_id).in_(chain)
    )
    subject: ColumnElement[bool] = col(Shortcoming.unit_code).in_(list(by_code))
    if by_member:
        subject = or_(subject, col(Shortcoming.owner_id).in_(list(by_member)))
    rows = session.execute(
        sa_select(Shortcoming, superseded)
        .where(col(Shortcoming.cycle_id).in_(chain), subject, ~_split())
        .order_by(col(Shortcoming.id))
    )
    for item, was_superseded in rows:
        if item.cycle_id != chain[0] and (item.status == R.REMEDIED or was_superseded):
            continue
        owner_units = by_member.get(item.owner_id, []) if item.owner_id is not None else []
        for unit_id in dict.fromkeys([*by_code.get(item.unit_code, []), *owner_units]):
            result[unit_id].append(item)
    return result


def carried_over(session: Session, cycle: Cycle, unit: Unit) -> list[Shortcoming]:
    """Last cycle's shortcomings of this unit's subject, for its self-review to answer.

    For a member or a leader, also the items they own (a collective's shortcoming split to
    them); from cycles further back, those still not remedied. All statuses, by id.
    """
    return _earlier(session, cycle, [unit]).get(unit.id or 0, [])


def unremedied_earlier(
    session: Session, cycle: Cycle, units: Sequence[Unit]
) -> dict[int, list[Shortcoming]]:
    """Per unit id (only units that have some): earlier cycles' shortcomings of its subject
    not yet remedied (open, in progress, overdue, recurred).

    A remedied one that the unit's latest self-review records again counts too: it becomes
    recurred when the approval records it, and a check made before that must see it.
    """
    earlier = {
        unit_id: items for unit_id, items in _earlier(session, cycle, units).items() if items
    }
    ids = list(earlier)
    if not ids:
        return {}
    repeats: dict[int, set[int]] = defaultdict(set)
    reviews = session.exec(
        select(SelfReview.unit_id, SelfReview.shortcomings_json)
        .where(col(SelfReview.unit_id).in_(ids))
        .order_by(col(SelfReview.id))
    ).all()
    for unit_id, text in reviews:
        repeats[unit_id] = {i["repeats"] for i in json.loads(text) if i.get("repeats")}
    result = {
        unit_id: [s for s in items if s.status != R.REMEDIED or s.id in repeats[unit_id]]
        for unit_id, items in earlier.items()
    }
    return {unit_id: items for unit_id, items in result.items() if items}


# --- the tick's part ----------------------------------------------------------------------


def mark_overdue(session: Session, cycle: Cycle, now: datetime) -> int:
    """The tick: shortcomings past their due date and not remedied become overdue."""
    statement = (
        update(Shortcoming)
        .where(
            col(Shortcoming.cycle_id) == cycle.id,
            col(Shortcoming.status).in_([R.OPEN, R.IN_PROGRESS]),
            col(Shortcoming.due_at) <= now,
            ~_split(),
        )
        .values(status=R.OVERDUE)
        .returning(col(Shortcoming.id))
        .execution_options(synchronize_session=False)
    )
    return len(list(session.execute(statement).scalars()))


def owned_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: every shortcoming of the unit has an owner (or owned copies)."""
    s = aliased(Shortcoming)
    return ~exists().where(col(s.unit_id) == col(Unit.id), col(s.owner_id).is_(None), ~_split(s))


def all_remedied_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: every shortcoming of the unit is remedied.

    A split original counts through its copies; a recurred one was remedied, and what came
    back is remedied under the later cycle's item.
    """
    s = aliased(Shortcoming)
    return ~exists().where(
        col(s.unit_id) == col(Unit.id),
        col(s.status).not_in([R.REMEDIED, R.RECURRED]),
        ~_split(s),
    )


# --- people's actions ---------------------------------------------------------------------


@person_guard("actor_heads_or_approves")
def _heads_or_approves(ctx: GuardContext, unit: Unit) -> str | None:
    # Heading the unit's organization or any above it covers the approving committee too.
    if ctx.directory.leads_within(ctx.actor.leads_id, unit.organization_id):
        return None
    org = ctx.directory.orgs[unit.organization_id]
    approving = ctx.directory.approving(unit.organization_id)
    return (
        f"{ctx.who()} neither heads {org.code} nor sits on its approving committee "
        f"({approving.code} or above); ask its secretary to assign its shortcomings"
    )


def assign_shortcomings(
    *,
    session: Session,
    cycle_code: str,
    unit_code: str,
    shortcoming_id: int,
    owner_codes: Sequence[str],
    actor_code: str,
    now: datetime,
    due: date | None = None,
) -> ActionResult:
    """Give a collective's unowned shortcoming to one member, or split it among several (a
    copy each); `due` (a local date) replaces its due date."""
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=[unit_code],
        actor_code=actor_code,
        trigger="assign_shortcomings",
    )
    unit, directory = checked.units[0], checked.guards.directory
    plan = plan_of(checked.cycle)
    item = session.get(Shortcoming, shortcoming_id)
    problems: list[str] = []
    if item is None or item.unit_id != unit.id:
        problems.append(
            f"{unit.code}: shortcoming {shortcoming_id} is not one of its shortcomings; list them "
            f"with `kiemdiem remediation list {cycle_code} --unit {unit.code}`"
        )
    elif item.owner_id is not None:
        owner = session.get(Member, item.owner_id)
        assert owner is not None
        problems.append(
            f"{unit.code}: shortcoming {shortcoming_id} is already assigned to {owner.code} "
            f"({owner.full_name})"
        )
    elif _copies(session, shortcoming_id):
        names = ", ".join(_copies(session, shortcoming_id))
        problems.append(
            f"{unit.code}: shortcoming {shortcoming_id} was already split among {names}"
        )
    codes = list(dict.fromkeys(owner_codes))
    if not codes:
        problems.append("name at least one owner (--owner MEMBER)")
    members = {
        m.code: m for m in session.exec(select(Member).where(col(Member.code).in_(codes))).all()
    }
    org = directory.orgs[unit.organization_id]
    for code in codes:
        member = members.get(code)
        if member is None:
            problems.append(f"no member {code!r}; check the code in members.csv")
        elif not _belongs(directory, member, unit):
            problems.append(
                f"{member.code} ({member.full_name}) is neither a member of {org.code} nor on "
                "its committee; a collective's shortcoming goes to its own members"
            )
    if due is not None and due < now.astimezone(plan.zone).date():
        problems.append(f"due date {due.isoformat()} is already past; give today or a later day")
    _refuse(problems)
    assert item is not None and item.id is not None
    due_at = plan.due_at(due) if due is not None else item.due_at
    owners = [members[c] for c in codes]
    if len(owners) == 1:
        item.owner_id = owners[0].id
        if due is not None:
            item.due_at = due_at
            item.status = R.OPEN if item.status == R.OVERDUE else item.status
        session.add(item)
    else:
        fields = item.model_dump(exclude={"id", "owner_id", "due_at", "status", "recorded_at"})
        session.execute(
            insert(Shortcoming),
            [
                fields
                | {
                    "owner_id": m.id,
                    "split_from_id": item.id,
                    "due_at": due_at,
                    "status": R.OPEN,
                    "recorded_at": now,
                }
                for m in owners
            ],
        )
    session.add(
        AuditEntry(
            unit_id=unit.id,  # type: ignore[arg-type]
            at=now,
            actor=checked.actor.code,
            trigger="assign_shortcomings",
            from_state=unit.state,
            to_state=unit.state,
            reason=f"shortcoming {item.id} to {', '.join(codes)}",
        )
    )
    _sync_deadlines(session, [item.unit_id])
    return apply_moves(session, checked, trigger="assign_shortcomings", now=now)


def _copies(session: Session, shortcoming_id: int) -> list[str]:
    """The codes of the owners an original was split among."""
    return list(
        session.exec(
            select(Member.code)
            .join(Shortcoming, col(Shortcoming.owner_id) == col(Member.id))
            .where(Shortcoming.split_from_id == shortcoming_id)
            .order_by(col(Member.code))
        ).all()
    )


def _belongs(directory: Directory, member: Member, unit: Unit) -> bool:
    """A member of the collective's organization (or below), or on its committee."""
    if directory.in_subtree(member.organization_id, unit.organization_id):
        return True
    return member.id in directory.committee(unit.organization_id)


def _item(session: Session, shortcoming_id: int) -> tuple[Shortcoming, Unit, Cycle]:
    item = session.get(Shortcoming, shortcoming_id)
    if item is None:
        raise NotFound(
            f"no shortcoming {shortcoming_id}; list them with `kiemdiem remediation list CYCLE`"
        )
    unit, cycle = session.get(Unit, item.unit_id), session.get(Cycle, item.cycle_id)
    assert unit is not None and cycle is not None
    return item, unit, cycle


def report_remediation(
    *,
    session: Session,
    shortcoming_id: int,
    actor_code: str,
    now: datetime,
    note: str,
    remedied: bool = False,
) -> Shortcoming:
    """The owner reports what was done (evidence); `remedied` closes the item."""
    item, unit, cycle = _item(session, shortcoming_id)
    actor = get_member(session, actor_code)
    who = f"{actor.code} ({actor.full_name})"
    problems: list[str] = []
    copies = _copies(session, shortcoming_id)
    if copies:
        problems.append(
            f"shortcoming {shortcoming_id} was split among {', '.join(copies)}; each reports on "
            "their own copy (see `kiemdiem remediation list`)"
        )
    elif item.owner_id is not None and item.owner_id != actor.id:
        owner = session.get(Member, item.owner_id)
        assert owner is not None
        problems.append(
            f"shortcoming {shortcoming_id} is {owner.code}'s ({owner.full_name}) to remedy; "
            f"{who} cannot report on it"
        )
    elif item.owner_id is None:
        directory = Directory.load(session)
        if not directory.leads_within(actor.leads_id, unit.organization_id):
            org = directory.orgs[unit.organization_id]
            problems.append(
                f"shortcoming {shortcoming_id} of {unit.code} has no owner yet; only the head "
                f"of {org.code} may report on it, not {who}"
            )
    if item.status == R.REMEDIED:
        assert item.remedied_at is not None
        problems.append(
            f"shortcoming {shortcoming_id} was already remedied on "
            f"{item.remedied_at.astimezone(plan_of(cycle).zone):%d/%m/%Y}"
        )
    elif item.status == R.RECURRED:
        successor = session.exec(
            select(Shortcoming.id).where(Shortcoming.carried_from_id == shortcoming_id)
        ).first()
        problems.append(
            f"shortcoming {shortcoming_id} came back and was recorded again as shortcoming "
            f"{successor}; report on that one"
        )
    if not note.strip():
        problems.append("say what was done (--note); a report without evidence is not recorded")
    _refuse(problems)
    assert item.id is not None and actor.id is not None
    session.add(
        RemediationNote(
            shortcoming_id=item.id, kind="evidence", author_id=actor.id, at=now, text=note.strip()
        )
    )
    if remedied:
        item.status, item.remedied_at = R.REMEDIED, now
    elif item.status in (R.OPEN, R.OVERDUE):
        item.status = R.IN_PROGRESS
    session.add(item)
    _sync_deadlines(session, [item.unit_id])
    return item


def supervise(
    *, session: Session, shortcoming_id: int, actor_code: str, now: datetime, note: str
) -> RemediationNote:
    """A supervision note by a member of the cycle's inspection commission (002_, 004_)."""
    item, _, cycle = _item(session, shortcoming_id)
    actor = get_member(session, actor_code)
    commission = plan_of(cycle).inspection_commission
    problems: list[str] = []
    if actor.code not in commission:
        problems.append(
            f"only the inspection commission of {cycle.code} "
            f"({', '.join(commission) or 'nobody: the plan names none'}) supervises remediation, "
            f"not {actor.code} ({actor.full_name}); the plan's inspection_commission names it"
        )
    if not note.strip():
        problems.append("write the supervision note (--note)")
    _refuse(problems)
    assert item.id is not None and actor.id is not None
    written = RemediationNote(
        shortcoming_id=item.id, kind="supervision", author_id=actor.id, at=now, text=note.strip()
    )
    session.add(written)
    session.flush()
    return written


def remediation_items(
    session: Session,
    cycle_code: str,
    *,
    unit_code: str | None = None,
    owner_code: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """The cycle's remediation items (a split original is shown through its copies), by id."""
    cycle = get_cycle(session, cycle_code)
    plan = plan_of(cycle)
    notes = (
        sa_select(func.count())
        .where(col(RemediationNote.shortcoming_id) == col(Shortcoming.id))
        .scalar_subquery()
    )
    query = (
        sa_select(Shortcoming, col(Member.code), col(Member.full_name), notes)
        .outerjoin(Member, col(Member.id) == col(Shortcoming.owner_id))
        .where(col(Shortcoming.cycle_id) == cycle.id, ~_split())
        .order_by(col(Shortcoming.id))
    )
    if unit_code:
        query = query.where(
            col(Shortcoming.unit_id) == get_units(session, cycle, [unit_code])[0].id
        )
    if owner_code:
        query = query.where(col(Shortcoming.owner_id) == get_member(session, owner_code).id)
    if status:
        if status not in {s.value for s in R}:
            raise ActionRefused(
                f"no status {status!r}; statuses are {', '.join(s.value for s in R)}"
            )
        query = query.where(col(Shortcoming.status) == R(status))
    return [
        {
            "id": s.id,
            "unit": s.unit_code,
            "source": s.source,
            "text": s.text,
            "cause": s.cause,
            "owner": code,
            "owner_name": name,
            "due_local": format_day(s.due_at, plan) if s.due_at else "",
            "status": s.status.value,
            "notes": count,
            "carried_from": s.carried_from_id,
            "split_from": s.split_from_id,
        }
        for s, code, name, count in session.execute(query)
    ]
