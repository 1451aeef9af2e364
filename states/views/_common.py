"""What the page views share: a unit's display name, and guards asked without refusing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.cycle import Cycle, Unit
from models.errors import ActionRefused, Refusal
from models.organization import Member
from states.directory import Directory
from states.guards import PERSON_GUARDS, GuardContext


def names_of(session: Session, units: Sequence[Unit], directory: Directory) -> dict[int, str]:
    """Each unit's name (the member's, or the organization's), one query for all."""
    ids = {u.member_id for u in units if u.member_id is not None}
    members = (
        dict(session.exec(select(Member.id, Member.full_name).where(col(Member.id).in_(ids))).all())
        if ids
        else {}
    )
    return {
        u.id or 0: members.get(u.member_id) or directory.orgs[u.organization_id].name for u in units
    }


def passes(ctx: GuardContext, guard: str, unit: Unit) -> bool:
    """Whether `guard` (a name the transition tables use) lets the context's actor act."""
    return PERSON_GUARDS[guard](ctx, unit) is None


def context(session: Session, cycle: Cycle, actor: Member, units: list[Unit]) -> GuardContext:
    return GuardContext.load(session, cycle, actor, units)


def as_refusals(problems: Sequence[str | Refusal], unit: str | None = None) -> list[Refusal]:
    """Problems from the rule checks, whichever form they come in, as refusals."""
    return [
        (p if p.unit or unit is None else replace(p, unit=unit))
        if isinstance(p, Refusal)
        else Refusal("text", unit=unit, fields={"text": p})
        for p in problems
    ]


def refused(exc: ActionRefused) -> list[Refusal]:
    return [r for r in exc.refusals if r.fields.get("text") != "Nothing was changed."]


def member_names(session: Session, codes: Sequence[str | None]) -> dict[str, str]:
    """Member code -> full name, for the codes given (one query)."""
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    return dict(
        session.execute(
            sa_select(col(Member.code), col(Member.full_name)).where(col(Member.code).in_(wanted))
        ).all()
    )


def named_typist(code: str | None, via: str, names: dict[str, str]) -> str | None:
    """A member's name for a code typed on a page; the CLI's operator stays their OS user."""
    if code is None:
        return None
    return code if via == "cli" else names.get(code, code)
