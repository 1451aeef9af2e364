"""Looking up cycles, units and members by the codes people type."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from sqlmodel import Session, col, select

from models.cycle import Cycle, Tick, Unit
from models.errors import NotFound, Refusal
from models.organization import Member, Organization
from states._tx_memo import once_per_transaction
from states.directory import Directory, OrgNode
from states.plan import Plan
from states.rule_set import RuleSet
from vocabulary import _, dates

Lock = Literal["share", "update"] | None


def get_cycle(session: Session, code: str) -> Cycle:
    """The cycle named `code`; asked again in the same transaction, the same row without a
    query (a page's guard, its view and its action each ask)."""
    return once_per_transaction(session, f"cycle:{code}", (), lambda: _read_cycle(session, code))


def launcher_code(session: Session, code: str) -> str | None:
    """The code of the committee that launched cycle `code`; None when there is no such cycle."""
    return session.exec(
        select(Organization.code)
        .join(Cycle, col(Cycle.launched_by_id) == col(Organization.id))
        .where(Cycle.code == code)
    ).first()


def _read_cycle(session: Session, code: str) -> Cycle:
    cycle = session.exec(select(Cycle).where(Cycle.code == code)).first()
    if cycle is None:
        known = ", ".join(session.exec(select(Cycle.code)).all())
        raise NotFound(
            Refusal(
                "unknown_cycle" if known else "no_cycle_yet", fields={"code": code, "known": known}
            )
        )
    return cycle


def approving_committee(directory: Directory, cycle: Cycle, org_id: int) -> OrgNode:
    """The committee that decides levels for units reviewed in `org_id`: the one above it,
    and for the launching committee's own units the plan's `higher_committee` (never the
    launching committee itself: a committee does not decide its own collective or head)."""
    if org_id == cycle.launched_by_id:
        higher = plan_of(cycle).higher_committee
        if higher and higher in directory.by_code:
            return directory.by_code[higher]
    return directory.approving(org_id)


def plan_of(cycle: Cycle) -> Plan:
    """The plan the cycle was launched with (validated then; read once per process)."""
    return _stored_plan(cycle.plan_json)


@lru_cache(maxsize=16)
def _stored_plan(plan_json: str) -> Plan:
    # Every action and tick asks for it; the plan is immutable once launched, so one parse.
    return Plan.model_validate(json.loads(plan_json), context={"launched": True})


def rules_of(cycle: Cycle) -> RuleSet:
    """The rule set the cycle was launched with."""
    return _stored_rules(cycle.rule_set_json)


@lru_cache(maxsize=16)
def _stored_rules(rule_set_json: str) -> RuleSet:
    return RuleSet.model_validate_json(rule_set_json)


def get_member(session: Session, code: str) -> Member:
    member = session.exec(select(Member).where(Member.code == code)).first()
    if member is None:
        raise NotFound(_("no member {code!r}; check the code in members.csv").format(code=code))
    return member


def get_units(
    session: Session, cycle: Cycle, codes: Sequence[str], *, lock: Lock = None
) -> list[Unit]:
    """The named units of a cycle, in the order given; NotFound lists every unknown code.

    `lock` takes row locks on PostgreSQL (SQLite has one writer at a time anyway): every
    action that moves units takes "update", so of two people acting on a unit at once the
    second sees what the first did (an approval already made is refused, not made twice); a
    ballot takes "share", so a ballot cast while the secretary closes the vote either counts
    in the tally or finds the vote closed. Rows are locked in id order, so two actions never
    wait on each other in a circle.
    """
    query = (
        select(Unit)
        .where(Unit.cycle_id == cycle.id, col(Unit.code).in_(list(codes)))
        .order_by(col(Unit.id))
    )
    if lock is not None:
        query = query.with_for_update(read=lock == "share")
    rows = session.exec(query).all()
    by_code = {u.code: u for u in rows}
    missing = [c for c in codes if c not in by_code]
    if missing:
        raise NotFound(
            _(
                "cycle {cycle} has no unit {missing}; unit codes are O:<org> (organization), "
                "T:<org> (leadership), M:<member>, L:<member> (as leader)"
            ).format(cycle=cycle.code, missing=", ".join(map(repr, missing)))
        )
    return [by_code[c] for c in codes]


def local_day(instant: datetime, plan: Plan) -> date:
    """The local calendar day a due instant closes (due instants are the next local midnight)."""
    return (instant.astimezone(plan.zone) - timedelta(microseconds=1)).date()


def days_late(due_at: datetime, now: datetime, plan: Plan) -> int:
    """Whole local days between the day a due instant closes and `now`'s day (0 if not late)."""
    return max(0, (now.astimezone(plan.zone).date() - local_day(due_at, plan)).days)


def format_day(instant: datetime, plan: Plan) -> str:
    return dates.day(local_day(instant, plan))


def mail_context(cycle: Cycle, launched_by_name: str) -> dict[str, str]:
    """The cycle as every mail template sees it."""
    return {
        "code": cycle.code,
        "title": cycle.title,
        "document": cycle.document,
        "launched_by": launched_by_name,
    }


def earlier_open_cycles(session: Session, cycle: Cycle) -> list[Cycle]:
    """The cycles before this one (the previous first) whose remediation is still going on:
    their ticks go on with this one's, so their overdue items still escalate."""
    found: list[Cycle] = []
    seen = {cycle.id}
    current = cycle.previous_cycle_id
    while current is not None and current not in seen:
        seen.add(current)
        earlier = session.get(Cycle, current)
        if earlier is None:
            break
        still_open = session.exec(
            select(Unit.id).where(
                Unit.cycle_id == earlier.id, col(Unit.state).in_(["published", "remediation"])
            )
        ).first()
        if still_open is not None:
            found.append(earlier)
        current = earlier.previous_cycle_id
    return found


def begin_tick(session: Session, cycle: Cycle, now: datetime) -> Tick:
    """Record a tick of the cycle's reconciler; its id keys the digests it queues."""
    tick = Tick(cycle_id=cycle.id, now=now)  # type: ignore[arg-type]
    session.add(tick)
    session.flush()
    return tick
