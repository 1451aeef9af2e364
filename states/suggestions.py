"""Review suggestions (gợi ý kiểm điểm): written by the committee above, its standing committee
or the inspection commission to named units before their self-review, which must answer each.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from models.cycle import StageDeadline, Suggestion, Unit
from models.errors import ActionRefused, Refusal
from models.organization import Member
from models.settings import Settings
from notifications import queue
from states import links
from states._mail import mail_to
from states.cycles import approving_committee, format_day, mail_context, plan_of
from states.guards import GuardContext, person_guard
from states.machine import RE_REVIEW, UnitState
from states.recipients import UnitRef, resolve
from states.refusing import refuse_batch
from states.seating import inspection_commission
from states.service import ActionResult, Checked, apply_moves, check_action
from states.text_limits import check_lengths
from vocabulary import _

# Who writes: the committee above the unit (or one above that), the launching organization's
# standing committee, or the inspection commission (UBKT).
ROLES = ("committee", "standing", "inspection")


def roles_for(ctx: GuardContext, unit: Unit) -> list[str]:
    """The roles in which the actor may write a suggestion to `unit` (none for their own)."""
    if ctx.actor.id is not None and ctx.actor.id == unit.member_id:
        return []
    roles = []
    approving = approving_committee(ctx.directory, ctx.cycle, unit.organization_id)
    if ctx.directory.leads_within(ctx.actor.leads_id, approving.id):
        standing = ctx.actor.leads_id == ctx.cycle.launched_by_id
        roles.append("standing" if standing else "committee")
    if ctx.actor.code in inspection_commission(ctx.directory, ctx.cycle):
        roles.append("inspection")
    return roles


@person_guard("actor_may_suggest")
def _may_suggest(ctx: GuardContext, unit: Unit) -> Refusal | None:
    if roles_for(ctx, unit):
        return None
    if ctx.actor.id == unit.member_id:
        return Refusal("suggests_to_own_review", fields={"who": ctx.who()})
    approving = approving_committee(ctx.directory, ctx.cycle, unit.organization_id)
    launching = ctx.directory.orgs[ctx.cycle.launched_by_id]
    return Refusal(
        "may_not_suggest",
        fields={"who": ctx.who(), "approving": approving.code, "launching": launching.code},
    )


def suggestions_for(session: Session, unit_ids: Sequence[int]) -> dict[int, list[Suggestion]]:
    """Per unit id, the suggestions it got, oldest first (units with none are left out)."""
    found: dict[int, list[Suggestion]] = {}
    if not unit_ids:
        return found
    rows = session.exec(
        select(Suggestion)
        .where(col(Suggestion.unit_id).in_(list(unit_ids)))
        .order_by(col(Suggestion.id))
    )
    for row in rows:
        found.setdefault(row.unit_id, []).append(row)
    return found


def issuer_names(session: Session, suggestions: Sequence[Suggestion]) -> dict[int, str]:
    """Member id → full name, for every member who issued one of `suggestions`."""
    ids = list({s.issued_by_id for s in suggestions})
    if not ids:
        return {}
    rows = session.exec(select(Member.id, Member.full_name).where(col(Member.id).in_(ids)))
    return {member_id: name for member_id, name in rows if member_id is not None}


def describe(suggestion: Suggestion, names: dict[int, str], width: int = 60) -> str:
    """'#12 from Nguyễn Văn B2: 'Làm rõ …'', as refusals and the CLI name a suggestion."""
    text = " ".join(suggestion.text.split())
    if len(text) > width:
        text = text[: width - 1].rstrip() + "…"
    who = names.get(suggestion.issued_by_id) or _("member #{id}").format(id=suggestion.issued_by_id)
    return _("#{id} from {who}: '{text}'").format(id=suggestion.id, who=who, text=text)


def suggest(
    *,
    session: Session,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    now: datetime,
    text: str,
    role: str | None = None,
    settings: Settings,
) -> ActionResult:
    """Write one review suggestion to each named unit and tell each unit it must answer it.

    `role` says in which capacity the actor writes (committee, standing, inspection); by
    default the first the actor holds for each unit.
    """
    check_lengths([("text", text, "text")])
    if not text.strip():
        raise ActionRefused(
            Refusal("suggestion_needs_text", field="text"), Refusal("nothing_changed")
        )
    if role is not None and role not in ROLES:
        raise ActionRefused(
            Refusal("unknown_role", field="role", fields={"role": role, "roles": ", ".join(ROLES)}),
            Refusal("nothing_changed"),
        )
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=unit_codes,
        actor_code=actor_code,
        trigger="suggest",
    )
    chosen: dict[int, str] = {}
    problems: list[Refusal] = []
    for unit in checked.units:
        held = roles_for(checked.guards, unit)
        if role is not None and role not in held:
            problems.append(
                Refusal(
                    "writes_not_as_role",
                    unit=unit.code,
                    field="role",
                    fields={"who": checked.guards.who(), "role": role, "roles": ", ".join(held)},
                )
            )
        assert unit.id is not None
        chosen[unit.id] = role or held[0]
    if problems:
        refuse_batch(problems, [u.code for u in checked.units])
    assert checked.actor.id is not None
    rows = [
        Suggestion(
            unit_id=unit_id,
            issued_by_id=checked.actor.id,
            issuer_role=issuer_role,
            at=now,
            text=text.strip(),
        )
        for unit_id, issuer_role in chosen.items()
    ]
    session.add_all(rows)
    session.flush()
    _queue_suggestion_mail(session, checked, rows, now, settings)
    return apply_moves(session, checked, trigger="suggest", now=now)


def _queue_suggestion_mail(
    session: Session,
    checked: Checked,
    rows: list[Suggestion],
    now: datetime,
    settings: Settings,
) -> None:
    """Tell each unit who suggests what, and that its self-review must answer it."""
    cycle, directory, actor = checked.cycle, checked.guards.directory, checked.actor
    plan = plan_of(cycle)
    by_id = {u.id: u for u in checked.units}
    ids = list(by_id)
    due = {
        (d.unit_id, d.stage): d.due_at
        for d in session.exec(select(StageDeadline).where(col(StageDeadline.unit_id).in_(ids)))
    }
    member_ids = [u.member_id for u in checked.units if u.member_id is not None]
    members = {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(member_ids)))}
    launching = directory.orgs[cycle.launched_by_id]
    context = mail_context(cycle, launching.name)
    mails = []
    for row in rows:
        unit = by_id[row.unit_id]
        member = members.get(unit.member_id) if unit.member_id is not None else None
        to = resolve(
            "unit", UnitRef.of(unit, member), directory, standing_org_id=cycle.launched_by_id
        )
        if to is None:
            continue
        stage = RE_REVIEW if unit.state == UnitState.RETURNED else "self_review"
        due_at = due.get((unit.id, stage)) or due.get((unit.id, "self_review"))  # type: ignore[arg-type]
        body = (
            directory.orgs[actor.leads_id].name
            if row.issuer_role == "committee" and actor.leads_id is not None
            else launching.name
        )
        mails.append(
            mail_to(
                to,
                kind="suggestion",
                key=f"suggestion:{cycle.code}:{row.id}:{unit.code}",
                cycle_id=cycle.id,
                cycle=context,
                context={
                    "unit_name": member.full_name
                    if member
                    else directory.orgs[unit.organization_id].name,
                    "unit_code": unit.code,
                    "suggestion_id": row.id,
                    "issuer": actor.full_name,
                    "role": row.issuer_role,
                    "body": body,
                    "text": row.text,
                    "due_local": format_day(due_at, plan) if due_at else "",
                    "link": links.url(settings.base_url, links.self_review(cycle.code, unit.code)),
                },
                settings=settings,
            )
        )
    queue(session, mails, now=now, sender=settings.smtp_from, quiet_until=plan.quiet_until(now))
