"""Requested opinions of a unit (ý kiến), asked for at peer review.

Opinions come from a member's residence-area cell and, for a leader, from the offices the plan
names (001_: departments report on their subordinates, the district office compiles them).
A unit's vote waits until each opinion is given or its due time, the unit's peer-review due
time, has passed; the tick then records it missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, false, update
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from models._sql import insert_ignoring_duplicates
from models.cycle import OFFICE, RESIDENCE, Cycle, Opinion, StageDeadline, Unit, UnitKind
from models.errors import NOTHING_CHANGED, ActionRefused, Refusal
from models.organization import Member
from models.settings import Settings
from notifications import queue
from states import links
from states._mail import mail_to
from states.acting import entered_fields
from states.cycles import approving_committee, format_day, mail_context, plan_of
from states.directory import Directory
from states.guards import GuardContext, person_guard
from states.recipients import Recipient, UnitRef, resolve
from states.service import ActionResult, apply_moves, check_action
from states.text_limits import check_lengths

__all__ = [
    "ask_opinions",
    "give_opinion",
    "opinions_settled_clause",
    "request_opinions",
    "settle_opinions",
]


def request_opinions(
    session: Session,
    cycle: Cycle,
    units: Sequence[Unit],
    now: datetime,
    *,
    settings: Settings | None = None,
) -> int:
    """Record the opinions these units' peer reviews wait for; return how many were new.

    Recording again is harmless: an opinion already requested for a unit is not requested
    twice. The next tick mails them (`ask_opinions`), one digest per recipient.
    """
    plan = plan_of(cycle)
    directory = Directory.load(session)
    ids = [u.id for u in units]
    due = dict(
        session.exec(
            select(StageDeadline.unit_id, StageDeadline.due_at).where(
                col(StageDeadline.unit_id).in_(ids), StageDeadline.stage == "peer_review"
            )
        ).all()
    )
    member_ids = [u.member_id for u in units if u.member_id is not None]
    members = {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(member_ids)))}
    offices = [
        (office, [directory.by_code[c].id for c in office.organizations if c in directory.by_code])
        for office in plan.opinions.offices
    ]
    rows: list[dict[str, Any]] = []
    for unit in units:
        assert unit.id is not None
        sources = []
        member = members.get(unit.member_id) if unit.member_id is not None else None
        if unit.kind is UnitKind.MEMBER and plan.opinions.residence and member is not None:
            # A member living where their own cell is has been heard by that cell already.
            home = member.residence_id
            if home is not None and home != unit.organization_id and home in directory.orgs:
                sources.append(f"{RESIDENCE}:{directory.orgs[home].code}")
        if unit.kind is UnitKind.LEADER:
            for office, roots in offices:
                if any(directory.in_subtree(unit.organization_id, root) for root in roots):
                    sources.append(f"{OFFICE}:{office.code}")
        rows += [
            {
                "unit_id": unit.id,
                "source": source,
                "requested_at": now,
                "due_at": due[unit.id],
                "missing": False,
            }
            for source in sources
        ]
    if not rows:
        return 0
    statement = insert_ignoring_duplicates(session, Opinion).returning(col(Opinion.id))
    return len(session.execute(statement, rows).all())


def ask_opinions(
    session: Session, cycle: Cycle, *, tick_id: int, now: datetime, settings: Settings
) -> int:
    """The tick: mail every opinion requested and not yet asked, one digest per recipient.

    Only opinions still awaited and not yet due are asked: one given meanwhile, or past its
    due time (recorded missing), is never asked for. Each is marked asked in the same
    statement that picks it, so a rerun or a tick beside this one asks nobody twice.
    """
    of_cycle = select(Unit.id).where(Unit.cycle_id == cycle.id)
    statement = (
        update(Opinion)
        .where(
            col(Opinion.unit_id).in_(of_cycle),
            col(Opinion.asked_at).is_(None),
            col(Opinion.received_at).is_(None),
            col(Opinion.missing) == false(),
            col(Opinion.due_at) > now,
        )
        .values(asked_at=now)
        .returning(col(Opinion.unit_id), col(Opinion.source), col(Opinion.due_at))
        .execution_options(synchronize_session=False)
    )
    asked = session.execute(statement).all()
    if not asked:
        return 0
    units = {
        u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_({a[0] for a in asked})))
    }
    member_ids = [u.member_id for u in units.values() if u.member_id is not None]
    members = {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(member_ids)))}
    due = {unit_id: due_at for unit_id, _source, due_at in asked}
    return _queue_requests(
        session,
        cycle,
        [(units[unit_id], source) for unit_id, source, _due in asked],
        members,
        Directory.for_cycle(session, cycle),
        due,
        now,
        settings,
        tick_id=tick_id,
    )


def _recipient(
    source: str, cycle: Cycle, directory: Directory, contacts: dict[str, str]
) -> Recipient | None:
    """The organization that must give the opinion: the residence cell itself (its
    secretary, else its own office; only a cell with neither falls back up the tree), or the
    office named in the plan (its address, else its named contact's)."""
    kind, _, code = source.partition(":")
    if kind == RESIDENCE:
        org = directory.by_code[code]
        own = org.secretary_email or org.email
        if own:
            return Recipient(own, org.name)
        return resolve(
            "secretary",
            UnitRef(UnitKind.ORGANIZATION, org.id),
            directory,
            standing_org_id=cycle.launched_by_id,
        )
    office = next(o for o in plan_of(cycle).opinions.offices if o.code == code)
    email = office.email or contacts.get(office.contact or "")
    return Recipient(email, office.name) if email else None


def _contacts(session: Session, cycle: Cycle) -> dict[str, str]:
    """Each opinion office's named contact: member code -> e-mail address."""
    codes = [o.contact for o in plan_of(cycle).opinions.offices if o.contact]
    if not codes:
        return {}
    rows = session.exec(select(Member.code, Member.email).where(col(Member.code).in_(codes)))
    return {code: email for code, email in rows if email}


def _source_name(source: str, cycle: Cycle, directory: Directory) -> str:
    kind, _, code = source.partition(":")
    if kind == RESIDENCE:
        return directory.by_code[code].name
    return next(o.name for o in plan_of(cycle).opinions.offices if o.code == code)


def _queue_requests(
    session: Session,
    cycle: Cycle,
    asked: list[tuple[Unit, str]],
    members: dict[int | None, Member],
    directory: Directory,
    due: dict[int, datetime],
    now: datetime,
    settings: Settings,
    *,
    tick_id: int,
) -> int:
    """One mail per recipient listing the units whose opinion it is asked for."""
    plan = plan_of(cycle)
    contacts = _contacts(session, cycle)
    grouped: dict[str, tuple[Recipient, list[dict[str, Any]]]] = {}
    earliest: dict[str, datetime] = {}
    for unit, source in sorted(asked, key=lambda a: (a[1], a[0].code)):
        assert unit.id is not None
        if due[unit.id] <= now:
            continue  # already due: asking now could only arrive too late; it is missing
        to = _recipient(source, cycle, directory, contacts)
        if to is None:
            continue
        earliest[to.email] = min(earliest.get(to.email, due[unit.id]), due[unit.id])
        member = members.get(unit.member_id)
        assert unit.id is not None
        grouped.setdefault(to.email, (to, []))[1].append(
            {
                "unit_code": unit.code,
                "unit_name": member.full_name
                if member
                else directory.orgs[unit.organization_id].name,
                "kind": unit.kind.value,
                "org_name": directory.orgs[unit.organization_id].name,
                "source": source,
                "source_name": _source_name(source, cycle, directory),
                "due_local": format_day(due[unit.id], plan),
            }
        )
    context = mail_context(cycle, directory.orgs[cycle.launched_by_id].name)
    quiet = plan.quiet_until(now)
    mails = [
        mail_to(
            to,
            kind="opinion_request",
            # Quiet hours never hold a request past the time its opinion is due.
            urgent=quiet is not None and quiet >= earliest[to.email],
            key=f"opinions:{cycle.code}:{to.email}:tick-{tick_id}",
            cycle_id=cycle.id,
            cycle=context,
            context={
                "items": items,
                # One unit: its opinion page; several: the page listing every one awaited.
                "link": links.url(
                    settings.base_url,
                    links.action_page("give_opinion", cycle.code, items[0]["unit_code"])
                    if len({i["unit_code"] for i in items}) == 1
                    else links.opinions(cycle.code),
                ),
            },
            settings=settings,
        )
        for to, items in grouped.values()
    ]
    return queue(session, mails, now=now, sender=settings.smtp_from, quiet_until=quiet)


def give_opinion(
    *,
    session: Session,
    cycle_code: str,
    unit_code: str,
    source: str,
    actor_code: str,
    now: datetime,
    text: str,
) -> ActionResult:
    """Record the opinion `source` gives of a unit (entered by whoever speaks for it)."""
    check_lengths([("text", text, "text")])
    if not text.strip():
        raise ActionRefused(Refusal("opinion_needs_text", field="text"), Refusal("nothing_changed"))
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=[unit_code],
        actor_code=actor_code,
        trigger="give_opinion",
    )
    unit = checked.units[0]
    opinions = session.exec(select(Opinion).where(Opinion.unit_id == unit.id)).all()
    awaited = [o for o in opinions if o.received_at is None]
    chosen = next((o for o in awaited if o.source == source), None)
    if chosen is None:
        given = any(o.source == source for o in opinions)
        raise ActionRefused(
            Refusal(
                "opinion_already_given" if given else "opinion_not_requested",
                unit=unit.code,
                field="source",
                fields={"source": source, "awaited": [o.source for o in awaited]},
            ),
            NOTHING_CHANGED,
        )
    refusal = _refusal(checked.guards, unit, source)
    if refusal:
        raise ActionRefused(refusal, NOTHING_CHANGED)
    chosen.received_at, chosen.given_by = now, checked.actor.code
    chosen.text, chosen.missing = text.strip(), False
    typed_by = entered_fields(checked.actor.code)
    chosen.entered_by, chosen.entered_via = typed_by["entered_by"], typed_by["entered_via"]
    session.add(chosen)
    return apply_moves(session, checked, trigger="give_opinion", now=now)


def settle_opinions(session: Session, cycle: Cycle, now: datetime) -> int:
    """The tick: opinions past their due time and not given are recorded as missing."""
    of_cycle = select(Unit.id).where(Unit.cycle_id == cycle.id)
    statement = (
        update(Opinion)
        .where(
            col(Opinion.unit_id).in_(of_cycle),
            col(Opinion.received_at).is_(None),
            col(Opinion.missing) == false(),
            col(Opinion.due_at) <= now,
        )
        .values(missing=True)
        .returning(col(Opinion.id))
        .execution_options(synchronize_session=False)
    )
    return len(session.execute(statement).all())


def opinions_settled_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: no opinion of the unit is still awaited."""
    return ~exists().where(
        col(Opinion.unit_id) == col(Unit.id),
        col(Opinion.received_at).is_(None),
        col(Opinion.missing) == false(),
    )


def _refusal(ctx: GuardContext, unit: Unit, source: str) -> Refusal | None:
    """None if the actor speaks for `source` about `unit`, else why not."""
    kind, _, code = source.partition(":")
    if kind == RESIDENCE:
        cell = ctx.directory.by_code.get(code)
        if cell is not None and ctx.directory.leads_within(ctx.actor.leads_id, cell.id):
            return None
        return Refusal(
            "residence_opinion_not_yours",
            unit=unit.code,
            field="source",
            fields={"who": ctx.who(), "source": source, "cell": code},
        )
    office = next((o for o in plan_of(ctx.cycle).opinions.offices if o.code == code), None)
    if office is not None and office.contact and office.contact == ctx.actor.code:
        return None  # the office's own named contact gives its opinion
    approving = approving_committee(ctx.directory, ctx.cycle, unit.organization_id)
    launching = ctx.directory.orgs[ctx.cycle.launched_by_id]
    if ctx.actor.leads_id == launching.id or ctx.directory.leads_within(
        ctx.actor.leads_id, approving.id
    ):
        return None
    return Refusal(
        "office_opinion_not_yours",
        unit=unit.code,
        field="source",
        fields={
            "who": ctx.who(),
            "source": source,
            "launching": launching.code,
            "approving": approving.code,
        },
    )


@person_guard("actor_speaks_for_source")
def _speaks_for_source(ctx: GuardContext, unit: Unit) -> Refusal | None:
    awaited = ctx.session.exec(
        select(Opinion.source).where(Opinion.unit_id == unit.id, col(Opinion.received_at).is_(None))
    ).all()
    if not awaited or any(_refusal(ctx, unit, s) is None for s in awaited):
        return None  # nothing awaited: the action says so, naming the source asked for
    return Refusal(
        "speaks_for_no_awaited_opinion", fields={"who": ctx.who(), "awaited": list(awaited)}
    )
