"""The vote (biểu quyết, bỏ phiếu): ballots, the tally, and the secretary closing the vote.

What is stored, and why nothing links a voter to a choice under a secret ballot:

- `VoterRoll` (unit, round, voter, at): who has voted, so nobody votes twice. No level.
- `SealedRound` (unit, round, boxes): while a secret round is open, each choice only as a
  box sealed with the cycle's public key, all the round's boxes in one row sorted by their
  bytes (`states.ballot_box`): no id, no time, no order that follows the roll. Nobody, not
  even whoever holds the database, its WAL, its row versions or its backups, can read a
  choice or a count from it; the private key is a file outside the database.
- `Tally` (unit, round, level, count): a secret round's counts, written only when the
  secretary closes the round (its boxes are opened then, and dropped). An open vote keeps
  its tally up to date with each ballot, as it keeps each `Ballot` (unit, round, voter, level).
- Casting a ballot moves no unit, so it writes no audit entry; closing writes counts only.

Given the roll's order and the final counts, the choices of a round stay unrecoverable: what
remains is what the tally itself says (a unanimous vote is known to be unanimous).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from models.cycle import Ballot, Level, Tally, Unit, VoterRoll
from models.errors import ActionRefused, Refusal
from models.settings import Settings, load_settings
from states.ballot_box import drop_in, open_round, record_tally
from states.cycles import get_cycle, get_units, rules_of
from states.directory import Directory, OrgNode
from states.guards import Electorate, GuardContext, person_guard
from states.machine import UnitState
from states.refusing import refuse_batch
from states.rule_set import RuleSet
from states.service import ActionResult, Checked, apply_moves, check_action
from vocabulary import votes as vote_words
from vocabulary.reasons import coded


def vote(
    *,
    session: Session,
    cycle_code: str,
    ballots: Mapping[str, Level],
    actor_code: str,
    now: datetime,
) -> ActionResult:
    """Cast one voter's ballot paper: a level for each named unit; a voter votes once per unit."""
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=list(ballots),
        actor_code=actor_code,
        trigger="vote",
        lock="share",
    )
    rules = rules_of(checked.cycle)
    chosen: dict[str, Level] = {}
    problems: list[Refusal] = []
    for unit in checked.units:
        value = ballots[unit.code]
        try:
            level: Level | None = Level(value)
        except ValueError:
            level = None
        if level is None or level not in rules.levels:
            problems.append(
                Refusal(
                    "not_a_level_of_the_rules",
                    unit=unit.code,
                    fields={
                        "value": str(value),
                        "rules": rules.name,
                        "levels": ", ".join(rules.levels),
                    },
                )
            )
        else:
            chosen[unit.code] = level
    if problems:
        refuse_batch(problems, [u.code for u in checked.units])
    voter = checked.actor.id
    session.execute(
        insert(VoterRoll),
        [
            {"unit_id": u.id, "round": u.vote_round, "voter_id": voter, "at": now}
            for u in checked.units
        ],
    )
    if rules.vote.ballot == "secret":
        if checked.cycle.ballot_public_key is None:
            raise ActionRefused(
                Refusal("cycle_has_no_ballot_key", fields={"cycle": checked.cycle.code})
            )
        drop_in(session, checked.units, chosen, checked.cycle.ballot_public_key)
    else:
        _count(session, checked.units, chosen, rules.levels)
        session.execute(
            insert(Ballot),
            [
                {
                    "unit_id": u.id,
                    "round": u.vote_round,
                    "voter_id": voter,
                    "level": chosen[u.code],
                    "at": now,
                }
                for u in checked.units
            ],
        )
    return apply_moves(session, checked, trigger="vote", now=now)


def _count(
    session: Session, units: Sequence[Unit], chosen: Mapping[str, Level], levels: Sequence[Level]
) -> None:
    """Add an open ballot to its round's tally, touching every level's row alike."""
    dialect = session.get_bind().dialect.name
    upsert: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Tally)
    upsert = upsert.on_conflict_do_update(
        index_elements=["unit_id", "round", "level"],
        set_={"count": col(Tally.count) + upsert.excluded["count"]},
    )
    session.execute(
        upsert,
        [
            {
                "unit_id": u.id,
                "round": u.vote_round,
                "level": level,
                "count": int(level == chosen[u.code]),
            }
            for u in units
            for level in levels
        ],
    )


def tally_of(session: Session, unit_ids: Sequence[int]) -> dict[int, dict[Level, int]]:
    """The stored counts per level of each unit's current round: an open round's as it goes,
    a secret round's only once it is closed (units without stored counts are absent)."""
    counts: dict[int, dict[Level, int]] = {}
    if not unit_ids:
        return counts
    rows = session.exec(
        select(Tally.unit_id, Tally.level, Tally.count)
        .join(
            Unit, and_(col(Unit.id) == col(Tally.unit_id), col(Unit.vote_round) == col(Tally.round))
        )
        .where(col(Tally.unit_id).in_(list(unit_ids)))
    )
    for unit_id, level, count in rows:
        counts.setdefault(unit_id, {})[Level(level)] = count
    return counts


def voters_who_voted(session: Session, unit: Unit) -> set[int]:
    """The members who have voted on the unit in its current round (never what they chose)."""
    return set(
        session.exec(
            select(VoterRoll.voter_id).where(
                VoterRoll.unit_id == unit.id, VoterRoll.round == unit.vote_round
            )
        )
    )


@dataclass(frozen=True)
class Outcome:
    """What a round's tally decides: a level carried, a revote, or not yet (no quorum)."""

    round: int
    eligible: int
    counts: dict[Level, int]
    rules: RuleSet
    # The level carried; None when no level has a majority (a revote).
    level: Level | None = None
    quorate: bool = True
    # Nobody may vote on the unit: its self-review's proposal stands.
    unopposed: bool = False

    @property
    def cast(self) -> int:
        return sum(self.counts.values())

    def tallied(self) -> tuple[tuple[str, int], ...]:
        """The ballots per level, in the rule set's order, e.g. (("excellent", 2), ...)."""
        return tuple((lv.value, self.counts[lv]) for lv in self.rules.levels if self.counts.get(lv))

    def counted(self) -> str:
        """The counts per level in the current language (vocabulary.votes)."""
        return vote_words.counted(self.tallied())

    def short(self) -> str:
        """For the secretary: the level carried and its ballots ("good: 5 of 6", in the
        current language), or the counts per level when it goes to a revote."""
        level = self.level.value if self.level else None
        votes_for = self.counts.get(self.level, 0) if self.level else 0
        return vote_words.outcome(
            level, votes_for, self.cast, self.tallied(), unopposed=self.unopposed
        )

    def quorum_refusal(self) -> Refusal:
        return Refusal(
            "vote_not_quorate",
            fields={
                "cast": self.cast,
                "eligible": self.eligible,
                "rules": self.rules.name,
                "quorum": f"{self.rules.vote.quorum:.0%}",
            },
        )

    def reason(self) -> str:
        """The audit entry's reason: counts only, never a name; coded, so each reader reads
        it in their own language."""
        if self.unopposed:
            return coded("vote_unopposed")
        if self.level is not None:
            votes = self.counts.get(self.level, 0)
            return coded(
                "vote_carried",
                round=self.round,
                level=self.level.value,
                votes=votes,
                cast=self.cast,
            )
        return coded(
            "vote_undecided",
            round=self.round,
            majority=f"{self.rules.vote.majority:.0%}",
            cast=self.cast,
            tally=[[level, n] for level, n in self.tallied()],
            next=self.round + 1,
        )


def decide(unit: Unit, counts: dict[Level, int], eligible: int, rules: RuleSet) -> Outcome:
    """The outcome of the unit's current round under the rule set's quorum and majority."""
    outcome = Outcome(unit.vote_round, eligible, counts, rules)
    if eligible == 0:
        return replace(outcome, level=unit.proposed_level or Level.COMPLETED, unopposed=True)
    if outcome.cast <= rules.vote.quorum * eligible:
        return replace(outcome, quorate=False)
    for level in rules.levels:
        if counts.get(level, 0) > rules.vote.majority * outcome.cast:
            return replace(outcome, level=level)
    return outcome


# The counts `close_vote` opened for the round it closes, for the guards below: a secret
# round's counts exist nowhere else until it is closed. Unset, the guards read the stored
# tally, so a secret round is never found carried without its boxes opened (fail closed).
_opened: ContextVar[Mapping[int, Mapping[Level, int]] | None] = ContextVar(
    "kiemdiem_opened_ballots", default=None
)
# While close_vote checks who may close, before any box is opened: the count guards wait.
_before_opening: ContextVar[bool] = ContextVar("kiemdiem_before_opening", default=False)


@contextmanager
def _counting(counts: Mapping[int, Mapping[Level, int]] | None, *, before: bool) -> Iterator[None]:
    tokens = _opened.set(counts), _before_opening.set(before)
    try:
        yield
    finally:
        _opened.reset(tokens[0])
        _before_opening.reset(tokens[1])


def _outcome(ctx: GuardContext, unit: Unit) -> Outcome:
    """The unit's outcome, from the opened boxes or the batch's tallies read once per action."""
    opened = _opened.get()
    if opened is None:
        memo = ctx.memo
        if "_vote_tallies" not in memo:
            memo["_vote_tallies"] = tally_of(ctx.session, [u.id for u in ctx.batch if u.id])
        opened = memo["_vote_tallies"]
    counts = dict(opened.get(unit.id, {}))  # type: ignore[arg-type]
    return decide(unit, counts, len(ctx.electorate.voters(unit)), rules_of(ctx.cycle))


def held_in(directory: Directory, unit: Unit) -> OrgNode:
    """Where the unit's vote is held: a member's cell, the organization a leader heads, and
    for a collective the committee above it."""
    if unit.kind.is_collective:
        return directory.parent(unit.organization_id) or directory.orgs[unit.organization_id]
    return directory.orgs[unit.organization_id]


@person_guard("actor_runs_the_vote")
def _runs_the_vote(ctx: GuardContext, unit: Unit) -> Refusal | None:
    where = held_in(ctx.directory, unit)
    if ctx.actor.id == unit.member_id:
        above = ctx.directory.parent(where.id) or where
        return Refusal(
            "closes_own_vote", fields={"who": ctx.who(), "org": above.code, "name": above.name}
        )
    if ctx.directory.leads_within(ctx.actor.leads_id, where.id):
        return None
    return Refusal(
        "does_not_run_vote", fields={"who": ctx.who(), "org": where.code, "name": where.name}
    )


@person_guard("vote_carried")
def _carried(ctx: GuardContext, unit: Unit) -> Refusal | None:
    if _before_opening.get():
        return None
    outcome = _outcome(ctx, unit)
    if not outcome.quorate:
        return outcome.quorum_refusal()
    if outcome.level is None:
        return Refusal("vote_did_not_carry", fields={"counted": outcome.tallied()})
    return None


@person_guard("vote_not_carried")
def _not_carried(ctx: GuardContext, unit: Unit) -> Refusal | None:
    if _before_opening.get():
        return None
    outcome = _outcome(ctx, unit)
    if not outcome.quorate:
        return outcome.quorum_refusal()
    if outcome.level is not None:
        if outcome.unopposed:
            return Refusal("vote_unopposed", fields={"level": outcome.level.value})
        return Refusal(
            "vote_carried",
            fields={
                "level": outcome.level.value,
                "votes": outcome.counts.get(outcome.level, 0),
                "cast": outcome.cast,
            },
        )
    return None


@dataclass
class VoteClosed(ActionResult):
    """Each unit's move, and what its tally decided (for the secretary to read out)."""

    outcomes: dict[str, Outcome] = field(default_factory=dict)


def _check_each(
    session: Session,
    cycle_code: str,
    actor_code: str,
    by_trigger: dict[str, list[str]],
    *,
    order: list[str],
) -> list[tuple[str, Checked]]:
    """Check every group of units under its own trigger; refuse once, listing every problem
    in the order the units were named."""
    checks: list[tuple[str, Checked]] = []
    problems: list[Refusal] = []
    for trigger, named in by_trigger.items():
        if not named:
            continue
        try:
            checked = check_action(
                session,
                cycle_code=cycle_code,
                unit_codes=named,
                actor_code=actor_code,
                trigger=trigger,
            )
        except ActionRefused as refused:
            problems += [
                r for r in refused.refusals if r.code not in ("nothing_changed", "others_unchanged")
            ]
            continue
        checks.append((trigger, checked))
    if problems:
        rank = {code: i for i, code in enumerate(order)}
        problems.sort(key=lambda r: rank.get(r.unit or "", 0))
        refuse_batch(problems, order)
    return checks


def close_vote(
    *,
    session: Session,
    cycle_code: str,
    unit_codes: Sequence[str],
    actor_code: str,
    now: datetime,
    settings: Settings | None = None,
) -> VoteClosed:
    """The secretary closes each named unit's vote: the level carried goes to approval, a
    split vote goes to a new round. Below the quorum nothing closes.

    A secret round's boxes are opened here, with the key file in KIEMDIEM_KEYS_DIR, and only
    after the actor is known to run every named vote; its tally is stored only then."""
    if not unit_codes:
        raise ActionRefused(Refusal("no_units"))
    codes = list(dict.fromkeys(unit_codes))
    cycle = get_cycle(session, cycle_code)
    units = get_units(session, cycle, codes, lock="update")
    rules = rules_of(cycle)
    secret = rules.vote.ballot == "secret"
    if secret:
        with _counting(None, before=True):  # who may close, and what is in a vote: no box yet
            check_action(
                session,
                cycle_code=cycle_code,
                unit_codes=codes,
                actor_code=actor_code,
                trigger="close_vote",
            )
        opened = open_round(
            session,
            settings=settings or load_settings(),
            cycle=cycle,
            units=units,
            levels=rules.levels,
        )
    else:
        opened = tally_of(session, [u.id for u in units if u.id])
    electorate = Electorate(session, Directory.load(session))
    outcomes = {
        u.code: decide(u, dict(opened.get(u.id, {})), len(electorate.voters(u)), rules)  # type: ignore[arg-type]
        for u in units
    }
    by_trigger: dict[str, list[str]] = {"close_vote": [], "call_revote": []}
    for unit in units:
        outcome = outcomes[unit.code]
        split = unit.state == UnitState.VOTE and outcome.quorate and outcome.level is None
        by_trigger["call_revote" if split else "close_vote"].append(unit.code)
    with _counting(opened, before=False):
        checks = _check_each(session, cycle_code, actor_code, by_trigger, order=codes)
    result = VoteClosed("close_vote", codes, {}, outcomes)
    counted: dict[int, tuple[int, Mapping[Level, int]]] = {}
    for trigger, checked in checks:
        for unit in checked.units:
            assert unit.id is not None
            if secret and unit.id in opened:
                counted[unit.id] = (unit.vote_round, opened[unit.id])
            if trigger == "close_vote":
                unit.proposed_level = outcomes[unit.code].level
            else:
                unit.vote_round += 1
        # Each unit's audit entry carries its own tally (counts only, never names).
        reasons = {u.code: outcomes[u.code].reason() for u in checked.units}
        moved = apply_moves(session, checked, trigger=trigger, now=now, reasons=reasons)
        result.moved.update(moved.moved)
    record_tally(session, counted)
    return result


__all__ = ["Outcome", "VoteClosed", "close_vote", "decide", "tally_of", "vote", "voters_who_voted"]
