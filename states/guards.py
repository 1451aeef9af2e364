"""Conditions named in the transition tables, and who may vote or comment on a unit.

Person guards are checked one unit at a time against data loaded once per action; each is
registered under the name the tables use with `@person_guard`, in the module of the stage it
belongs to (`GUARD_MODULES`, loaded on the first lookup of `PERSON_GUARDS`). Tick conditions
are set-based SQL in `states.advance` and the stage modules, so they are only named here.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from models.cycle import Cycle, Unit, UnitKind, VoterRoll
from models.errors import Refusal
from models.organization import Member
from states.cycles import approving_committee
from states.directory import Directory


class Electorate:
    """Who votes on and comments on each unit, from the tree and the members' organizations.

    Members are read per organization on first need, so one action reads one cell, while a
    tick that decides thousands of votes calls `load_all` and reads them once.
    """

    def __init__(self, session: Session, directory: Directory) -> None:
        self.session = session
        self.directory = directory
        self._members_by_org: dict[int, set[int]] = {}

    def load_all(self) -> Electorate:
        loaded: dict[int, set[int]] = defaultdict(set)
        for member_id, org_id in self.session.exec(select(Member.id, Member.organization_id)):
            loaded[org_id].add(member_id)  # type: ignore[arg-type]
        self._members_by_org = {org_id: loaded.get(org_id, set()) for org_id in self.directory.orgs}
        return self

    def members_of(self, org_id: int) -> set[int]:
        if org_id not in self._members_by_org:
            rows = self.session.exec(select(Member.id).where(Member.organization_id == org_id))
            self._members_by_org[org_id] = set(rows)  # type: ignore[arg-type]
        return self._members_by_org[org_id]

    def voters(self, unit: Unit) -> set[int]:
        """A member's cell; a leader's committee; for a collective, the committee above it."""
        org = unit.organization_id
        if unit.kind is UnitKind.MEMBER:
            return self.members_of(org) - {unit.member_id}
        if unit.kind is UnitKind.LEADER:
            return (self.directory.committee(org) | self.members_of(org)) - {unit.member_id}
        above = self.directory.parent(org)
        return self.directory.committee(above.id if above else org)


@dataclass
class GuardContext:
    """What a person guard needs: the actor, the tree, and facts prefetched for the units."""

    session: Session
    cycle: Cycle
    actor: Member
    directory: Directory
    electorate: Electorate
    # Units the actor has voted on in their current round.
    voted_unit_ids: set[int] = field(default_factory=set)
    # The units the action names: a guard may let one wait for another in the same batch.
    batch: list[Unit] = field(default_factory=list)
    # What a guard read for the whole batch, kept for the next unit (one query per action).
    memo: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, cycle: Cycle, actor: Member, units: list[Unit]) -> GuardContext:
        directory = Directory.load(session)
        rounds = {u.id: u.vote_round for u in units}
        voted = {
            unit_id
            for unit_id, round_ in session.exec(
                select(VoterRoll.unit_id, VoterRoll.round).where(
                    VoterRoll.voter_id == actor.id, col(VoterRoll.unit_id).in_(list(rounds))
                )
            )
            if rounds.get(unit_id) == round_
        }
        return cls(
            session, cycle, actor, directory, Electorate(session, directory), voted, list(units)
        )

    def who(self) -> str:
        return f"{self.actor.code} ({self.actor.full_name})"


# A guard returns None to allow, or why it refuses: a Refusal (code and fields, worded by
# the front end; its unit is set by the caller), or, from guards not yet structured, a string.
Guard = Callable[[GuardContext, Unit], Refusal | str | None]
# The modules whose stages register person guards (besides this one's own, below).
GUARD_MODULES = (
    "states.opinions",
    "states.ordering",
    "states.remediation._people",
    "states.suggestions",
    "states.voting",
)


class _Guards(Mapping[str, Guard]):
    """Every person guard by the name the transition tables use; filled by @person_guard.

    Reading it loads the stage modules that register theirs (once), so a caller that
    imported only one stage still finds every guard, and one that needs none (a status)
    never loads them."""

    def __init__(self) -> None:
        self.registered: dict[str, Guard] = {}
        self._loaded = False

    def _all(self) -> dict[str, Guard]:
        if not self._loaded:
            self._loaded = True
            for module in GUARD_MODULES:
                importlib.import_module(module)
        return self.registered

    def __getitem__(self, name: str) -> Guard:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


PERSON_GUARDS = _Guards()


def as_refusal(problem: Refusal | str, unit: str) -> Refusal:
    """A guard's answer as a refusal about `unit`."""
    if isinstance(problem, str):
        return Refusal("text", unit=unit, fields={"text": problem})
    return problem if problem.unit else dataclasses.replace(problem, unit=unit)


def person_guard(name: str) -> Callable[[Guard], Guard]:
    """Register `guard` under `name`: it returns None to allow, or why it refuses."""

    def register(guard: Guard) -> Guard:
        if name in PERSON_GUARDS.registered:
            raise RuntimeError(f"two person guards are named {name!r}")
        PERSON_GUARDS.registered[name] = guard
        return guard

    return register


def _subject(ctx: GuardContext, unit: Unit) -> Refusal | None:
    if ctx.actor.id == unit.member_id:
        return None
    return Refusal("not_the_subject", fields={"who": ctx.who()})


def _heads(ctx: GuardContext, unit: Unit) -> Refusal | None:
    if ctx.directory.leads_within(ctx.actor.leads_id, unit.organization_id):
        return None
    org = ctx.directory.orgs[unit.organization_id]
    return Refusal("not_head", fields={"who": ctx.who(), "org": org.code})


def _peer(ctx: GuardContext, unit: Unit) -> Refusal | None:
    if ctx.actor.id in ctx.electorate.voters(unit):
        return None
    return Refusal("not_in_collective", fields={"who": ctx.who()})


def _in_org(ctx: GuardContext, unit: Unit) -> Refusal | None:
    if ctx.directory.in_subtree(ctx.actor.organization_id, unit.organization_id):
        return None
    if ctx.actor.id in ctx.electorate.voters(unit):
        return None
    org = ctx.directory.orgs[unit.organization_id]
    return Refusal("not_in_organization", fields={"who": ctx.who(), "org": org.code})


def _voter(ctx: GuardContext, unit: Unit) -> Refusal | None:
    if ctx.actor.id in ctx.electorate.voters(unit):
        return None
    return Refusal("not_a_voter", fields={"who": ctx.who()})


def _not_voted(ctx: GuardContext, unit: Unit) -> Refusal | None:
    if unit.id not in ctx.voted_unit_ids:
        return None
    return Refusal("already_voted", fields={"who": ctx.who()})


def _approver(ctx: GuardContext, unit: Unit) -> Refusal | None:
    approving = approving_committee(ctx.directory, ctx.cycle, unit.organization_id)
    org = ctx.directory.orgs[unit.organization_id]
    if ctx.actor.id is not None and ctx.actor.id == unit.member_id:
        return Refusal("decides_own_review", fields={"who": ctx.who(), "approving": approving.code})
    if unit.kind.is_collective and (
        ctx.actor.leads_id == unit.organization_id
        or ctx.actor.id in ctx.directory.committee(unit.organization_id)
    ):
        return Refusal(
            "decides_own_collective",
            fields={"who": ctx.who(), "org": org.code, "approving": approving.code},
        )
    if ctx.directory.leads_within(ctx.actor.leads_id, approving.id):
        return None
    if ctx.directory.on_standing_committee(ctx.actor.id, approving.id):
        return None  # the import seats the actor on the approving standing committee
    return Refusal("not_approver", fields={"who": ctx.who(), "approving": approving.code})


for _name, _guard in {
    "actor_is_subject": _subject,
    "actor_heads_organization": _heads,
    "actor_in_same_cell": _peer,
    "actor_in_organization": _in_org,
    "actor_votes_in_cell": _voter,
    "actor_on_committee_above": _voter,
    "has_not_voted": _not_voted,
    "actor_on_approving_committee": _approver,
}.items():
    person_guard(_name)(_guard)

# Evaluated in bulk by the tick (states.advance); listed so a test can hold the tables to them.
TICK_CONDITIONS = frozenset(
    {
        "has_comments",
        "opinions_settled",
        "collective_reviewed",
        "has_shortcomings",
        "shortcomings_owned",
        "has_no_shortcomings",
        "all_remedied",
    }
)
