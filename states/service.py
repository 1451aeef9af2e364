"""The core every people's action shares: check all named units first, then write.

`check_action` checks each named unit against its state machine and the move's guards; if
any is refused it raises ActionRefused listing them all and nothing is written. `apply_moves`
writes the new states and one audit entry per move, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from models.cycle import AuditEntry, Cycle, Unit
from models.errors import ActionRefused, Refusal
from models.organization import Member
from states.acting import audit_fields, check_people_may_act
from states.cycles import Lock, get_cycle, get_member, get_units
from states.guards import PERSON_GUARDS, GuardContext, as_refusal
from states.machine import Move, machine_for
from states.refusing import refuse_batch


@dataclass
class ActionResult:
    trigger: str
    units: list[str]
    moved: dict[str, tuple[str, str]]


@dataclass
class Checked:
    cycle: Cycle
    actor: Member
    units: list[Unit]
    moves: list[Move]
    guards: GuardContext


def check_action(
    session: Session,
    *,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    trigger: str,
    lock: Lock = None,
) -> Checked:
    check_people_may_act()
    if not unit_codes:
        raise ActionRefused(Refusal("no_units"))
    cycle = get_cycle(session, cycle_code)
    actor = get_member(session, actor_code)
    units = get_units(session, cycle, list(dict.fromkeys(unit_codes)), lock=lock)
    guards = GuardContext.load(session, cycle, actor, units)
    problems: list[Refusal] = []
    moves = []
    for unit in units:
        try:
            move = machine_for(unit.kind).move(trigger, unit.state)
        except ActionRefused as exc:
            problems += [replace(r, unit=r.unit or unit.code) for r in exc.refusals]
            continue
        if move.by != "person":
            problems.append(Refusal("done_by_tick", unit=unit.code, fields={"trigger": trigger}))
            continue
        for condition in move.conditions:
            refusal = PERSON_GUARDS[condition](guards, unit)
            if refusal:
                problems.append(as_refusal(refusal, unit.code))
        moves.append(move)
    if problems:
        refuse_batch(problems, [u.code for u in units])
    return Checked(cycle, actor, units, moves, guards)


def apply_moves(
    session: Session,
    checked: Checked,
    *,
    trigger: str,
    now: datetime,
    reason: str | None = None,
    reasons: Mapping[str, str] | None = None,
    **values: Any,
) -> ActionResult:
    """Move each checked unit and write its audit entry; `reasons` (unit code → why) gives
    some units a reason of their own instead of `reason`."""
    moved: dict[str, tuple[str, str]] = {}
    audit = []
    how = audit_fields()
    for unit, move in zip(checked.units, checked.moves, strict=True):
        if move.dest is None and not values:
            continue  # a comment or a ballot: its own row is the record, the unit is unchanged
        for name, value in values.items():
            setattr(unit, name, value)
        if move.dest is not None:
            moved[unit.code] = (unit.state, move.dest.value)
            audit.append(
                {
                    "unit_id": unit.id,
                    "at": now,
                    "actor": checked.actor.code,
                    "trigger": trigger,
                    "from_state": unit.state,
                    "to_state": move.dest.value,
                    "reason": (reasons or {}).get(unit.code, reason),
                    **how,
                }
            )
            unit.state = move.dest.value
        unit.updated_at = now
        session.add(unit)
    if audit:
        session.execute(insert(AuditEntry), audit)
    session.flush()
    return ActionResult(trigger, [u.code for u in checked.units], moved)
