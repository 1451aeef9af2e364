"""People's remediation actions: assigning a collective's items, reporting, supervising."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select

from models.clock import EARLIEST, LATEST
from models.cycle import AuditEntry, Cycle, Unit
from models.errors import ActionRefused, NotFound, Refusal
from models.organization import Member
from models.remediation import RemediationNote, Shortcoming
from models.settings import Settings, load_settings
from states.acting import audit_fields, check_people_may_act
from states.cycles import approving_committee, get_member, plan_of
from states.directory import Directory
from states.guards import GuardContext, person_guard
from states.remediation._common import R, _copies, _refuse
from states.remediation._mail import queue_assigned_mail
from states.remediation._record import _sync_deadlines
from states.seating import inspection_commission
from states.service import ActionResult, apply_moves, check_action
from states.text_limits import check_lengths
from vocabulary import dates
from vocabulary.reasons import coded


@person_guard("actor_heads_or_approves")
def _heads_or_approves(ctx: GuardContext, unit: Unit) -> Refusal | None:
    # Heading the unit's organization or any above it covers the approving committee too.
    if ctx.directory.leads_within(ctx.actor.leads_id, unit.organization_id):
        return None
    org = ctx.directory.orgs[unit.organization_id]
    approving = approving_committee(ctx.directory, ctx.cycle, unit.organization_id)
    return Refusal(
        "not_head_or_approver",
        fields={"who": ctx.who(), "org": org.code, "approving": approving.code},
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
    settings: Settings | None = None,
) -> ActionResult:
    """Give a collective's unowned shortcoming to one member, or split it among several (a
    copy each, each owner told by mail); `due` (a local date) replaces its due date."""
    if due is not None and not EARLIEST.date() <= due <= LATEST.date():
        raise ActionRefused(
            Refusal(
                "date_out_of_range",
                field="due",
                fields={"date": due.isoformat(), "first": EARLIEST.year, "last": LATEST.year},
            )
        )
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=[unit_code],
        actor_code=actor_code,
        trigger="assign_shortcomings",
        lock="update",
    )
    unit, directory = checked.units[0], checked.guards.directory
    plan = plan_of(checked.cycle)
    item = session.get(Shortcoming, shortcoming_id)
    problems: list[str | Refusal] = []
    if item is None or item.unit_id != unit.id:
        problems.append(
            Refusal(
                "not_its_shortcoming",
                unit=unit.code,
                fields={"id": shortcoming_id, "cycle": cycle_code, "unit": unit.code},
            )
        )
    elif item.owner_id is not None:
        owner = session.get(Member, item.owner_id)
        assert owner is not None
        problems.append(
            Refusal(
                "shortcoming_already_assigned",
                unit=unit.code,
                fields={"id": shortcoming_id, "owner": f"{owner.code} ({owner.full_name})"},
            )
        )
    elif _copies(session, shortcoming_id):
        names = ", ".join(_copies(session, shortcoming_id))
        problems.append(
            Refusal(
                "shortcoming_already_split",
                unit=unit.code,
                fields={"id": shortcoming_id, "owners": names},
            )
        )
    codes = list(dict.fromkeys(owner_codes))
    if not codes:
        problems.append(Refusal("owner_required", field="owner"))
    members = {
        m.code: m for m in session.exec(select(Member).where(col(Member.code).in_(codes))).all()
    }
    org = directory.orgs[unit.organization_id]
    for code in codes:
        member = members.get(code)
        if member is None:
            problems.append(Refusal("unknown_member", field="owner", fields={"code": code}))
        elif not _belongs(directory, member, unit):
            problems.append(
                Refusal(
                    "owner_not_in_collective",
                    field="owner",
                    fields={"who": f"{member.code} ({member.full_name})", "org": org.code},
                )
            )
    if due is not None and due < now.astimezone(plan.zone).date():
        problems.append(Refusal("due_date_past", field="due", fields={"day": dates.day(due)}))
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
        assigned = [(owners[0], item)]
    else:
        fields = item.model_dump(
            exclude={"id", "owner_id", "split_from_id", "due_at", "status", "recorded_at"}
        )
        copies = [
            Shortcoming(
                **fields,
                owner_id=m.id,
                split_from_id=item.id,
                due_at=due_at,
                status=R.OPEN,
                recorded_at=now,
            )
            for m in owners
        ]
        session.add_all(copies)
        session.flush()  # the copies' ids key their mail
        assigned = list(zip(owners, copies, strict=True))
    session.add(
        AuditEntry(
            unit_id=unit.id,  # type: ignore[arg-type]
            at=now,
            actor=checked.actor.code,
            trigger="assign_shortcomings",
            from_state=unit.state,
            to_state=unit.state,
            reason=coded("shortcoming_assigned", id=item.id, units=list(codes)),
            **audit_fields(),
        )
    )
    _sync_deadlines(session, [item.unit_id])
    queue_assigned_mail(session, checked, assigned, now=now, settings=settings or load_settings())
    return apply_moves(session, checked, trigger="assign_shortcomings", now=now)


def _belongs(directory: Directory, member: Member, unit: Unit) -> bool:
    """A member of the collective's organization (or below), or on its committee."""
    if directory.in_subtree(member.organization_id, unit.organization_id):
        return True
    return member.id in directory.committee(unit.organization_id)


def _item(session: Session, shortcoming_id: int) -> tuple[Shortcoming, Unit, Cycle]:
    item = session.get(Shortcoming, shortcoming_id)
    if item is None:
        raise NotFound(Refusal("unknown_shortcoming", fields={"id": shortcoming_id}))
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
    check_people_may_act()
    check_lengths([("note", note, "note")])
    item, unit, cycle = _item(session, shortcoming_id)
    actor = get_member(session, actor_code)
    who = f"{actor.code} ({actor.full_name})"
    problems: list[str | Refusal] = []
    copies = _copies(session, shortcoming_id)
    if copies:
        problems.append(
            Refusal(
                "report_on_own_copy", fields={"id": shortcoming_id, "owners": ", ".join(copies)}
            )
        )
    elif item.owner_id is not None and item.owner_id != actor.id:
        owner = session.get(Member, item.owner_id)
        assert owner is not None
        problems.append(
            Refusal(
                "not_the_owner",
                fields={
                    "id": shortcoming_id,
                    "owner_code": owner.code,
                    "owner_name": owner.full_name,
                    "who": who,
                },
            )
        )
    elif item.owner_id is None:
        directory = Directory.load(session)
        if not directory.leads_within(actor.leads_id, unit.organization_id):
            org = directory.orgs[unit.organization_id]
            problems.append(
                Refusal(
                    "unowned_report_by_head",
                    fields={"id": shortcoming_id, "unit": unit.code, "org": org.code, "who": who},
                )
            )
    if item.status == R.REMEDIED:
        assert item.remedied_at is not None
        problems.append(
            Refusal(
                "already_remedied",
                fields={
                    "id": shortcoming_id,
                    "day": dates.day(item.remedied_at, plan_of(cycle).zone),
                },
            )
        )
    elif item.status == R.RECURRED:
        successor = session.exec(
            select(Shortcoming.id).where(Shortcoming.carried_from_id == shortcoming_id)
        ).first()
        problems.append(
            Refusal("recorded_again", fields={"id": shortcoming_id, "successor": successor})
        )
    if not note.strip():
        problems.append(Refusal("evidence_required", field="note"))
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
    check_people_may_act()
    check_lengths([("note", note, "note")])
    item, _, cycle = _item(session, shortcoming_id)
    actor = get_member(session, actor_code)
    commission = inspection_commission(Directory.load(session), cycle)
    problems: list[str | Refusal] = []
    if actor.code not in commission:
        problems.append(
            Refusal(
                "not_inspection_commission" if commission else "no_inspection_commission",
                fields={
                    "cycle": cycle.code,
                    "commission": ", ".join(commission),
                    "who": f"{actor.code} ({actor.full_name})",
                },
            )
        )
    if not note.strip():
        problems.append(Refusal("supervision_note_required", field="note"))
    _refuse(problems)
    assert item.id is not None and actor.id is not None
    written = RemediationNote(
        shortcoming_id=item.id, kind="supervision", author_id=actor.id, at=now, text=note.strip()
    )
    session.add(written)
    session.flush()
    return written
