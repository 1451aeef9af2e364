"""What a person is asked to write for others: the opinions awaited that they speak for (a
residence cell's head, an office's compiler), and review suggestions they may write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from models.cycle import OFFICE, Opinion, Unit
from models.errors import ActionRefused
from states.cycles import get_cycle, get_member, get_units, plan_of
from states.machine import UnitState
from states.opinions import _refusal as speaks_refusal
from states.suggestions import roles_for
from states.views._common import as_refusals, context, names_of


@dataclass(frozen=True)
class OpinionAsk:
    unit: str
    unit_name: str
    source: str
    source_name: str
    due_at: datetime


@dataclass(frozen=True)
class GivenSuggestion:
    id: int
    role: str
    text: str
    at: datetime


@dataclass(frozen=True)
class SuggestionView:
    cycle: str
    unit: str
    unit_name: str
    state: str
    roles: list[str]  # the roles the person may write in (committee, standing, inspection)
    given: list[GivenSuggestion]  # the person's suggestions to this unit so far


def opinions_to_give(
    session: Session, cycle_code: str, person_code: str, unit_code: str | None = None
) -> list[OpinionAsk]:
    """The opinions still awaited in the cycle (or of one unit) that this person speaks for,
    by the rule `give_opinion` refuses with; one query for the cycle."""
    cycle = get_cycle(session, cycle_code)
    actor = get_member(session, person_code)
    query = (
        select(Opinion, Unit)
        .join(Unit, col(Unit.id) == col(Opinion.unit_id))
        .where(
            Unit.cycle_id == cycle.id,
            Unit.state == UnitState.PEER_REVIEW.value,
            col(Opinion.received_at).is_(None),
            col(Opinion.missing).is_(False),
        )
        .order_by(col(Opinion.due_at), col(Unit.code))
    )
    if unit_code is not None:
        query = query.where(Unit.code == get_units(session, cycle, [unit_code])[0].code)
    rows = session.exec(query).all()
    ctx = context(session, cycle, actor, [u for _, u in rows])
    offices = {o.code: o.name for o in plan_of(cycle).opinions.offices}
    names = names_of(session, [u for _, u in rows], ctx.directory)
    asks = []
    for opinion, unit in rows:
        if speaks_refusal(ctx, unit, opinion.source) is not None:
            continue
        kind, _, code = opinion.source.partition(":")
        node = ctx.directory.by_code.get(code)
        source_name = offices.get(code, code) if kind == OFFICE else node.name if node else code
        asks.append(
            OpinionAsk(unit.code, names[unit.id or 0], opinion.source, source_name, opinion.due_at)
        )
    return asks


def suggestion_view(
    session: Session, cycle_code: str, unit_code: str, person_code: str
) -> SuggestionView:
    """The unit as one who may write it a review suggestion sees it; refused to others."""
    from models.cycle import Suggestion
    from states.guards import PERSON_GUARDS

    cycle = get_cycle(session, cycle_code)
    unit = get_units(session, cycle, [unit_code])[0]
    actor = get_member(session, person_code)
    ctx = context(session, cycle, actor, [unit])
    problem = PERSON_GUARDS["actor_may_suggest"](ctx, unit)
    if problem is not None:
        raise ActionRefused(*as_refusals([problem], unit.code))
    given = [
        GivenSuggestion(s.id or 0, s.issuer_role, s.text, s.at)
        for s in session.exec(
            select(Suggestion)
            .where(Suggestion.unit_id == unit.id, Suggestion.issued_by_id == actor.id)
            .order_by(col(Suggestion.id))
        )
    ]
    return SuggestionView(
        cycle=cycle.code,
        unit=unit.code,
        unit_name=names_of(session, [unit], ctx.directory)[unit.id or 0],
        state=unit.state,
        roles=roles_for(ctx, unit),
        given=given,
    )


@dataclass(frozen=True)
class SuggestionTarget:
    unit: str
    unit_name: str
    state: str
    due_at: datetime | None
    written: bool  # the person has written this unit a suggestion already


def suggestion_targets(
    session: Session, cycle_code: str, person_code: str, org_code: str
) -> list[SuggestionTarget]:
    """The units whose levels `org_code` decides, still before their self-review, that this
    person may write a review suggestion to (by `suggest`'s own rule); nobody else's."""
    from models.cycle import StageDeadline, Suggestion
    from states.cycles import approving_committee
    from states.directory import Directory

    cycle = get_cycle(session, cycle_code)
    actor = get_member(session, person_code)
    directory = Directory.load(session)
    org = directory.by_code.get(org_code)
    if org is None:
        return []
    decided_by = [
        o for o in directory.orgs if approving_committee(directory, cycle, o).id == org.id
    ]
    states = (UnitState.PLAN_ISSUED.value, UnitState.SELF_REVIEW.value, UnitState.RETURNED.value)
    units = list(
        session.exec(
            select(Unit)
            .where(
                Unit.cycle_id == cycle.id,
                col(Unit.organization_id).in_(decided_by),
                col(Unit.state).in_(states),
            )
            .order_by(col(Unit.code))
        )
    )
    ctx = context(session, cycle, actor, units)
    units = [u for u in units if roles_for(ctx, u)]
    ids = [u.id for u in units]
    due = {
        (d.unit_id, d.stage): d.due_at
        for d in session.exec(select(StageDeadline).where(col(StageDeadline.unit_id).in_(ids)))
    }
    written = set(
        session.exec(
            select(Suggestion.unit_id).where(
                col(Suggestion.unit_id).in_(ids), Suggestion.issued_by_id == actor.id
            )
        )
    )
    names = names_of(session, units, ctx.directory)
    return [
        SuggestionTarget(
            u.code,
            names[u.id or 0],
            u.state,
            due.get((u.id or 0, "re_review" if u.state == UnitState.RETURNED else "self_review")),
            u.id in written,
        )
        for u in units
    ]
