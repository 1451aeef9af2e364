"""The rules an approving committee's decisions must keep, checked before anything is written.

The checks are pure functions over plain values (levels, counts, scores), so the report can
reuse them; `rule_problems` gathers the values for one approve action and returns every
broken rule at once as a `Refusal` (code and fields, worded in `vocabulary.wording.approval_rules`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models.cycle import Level, Unit, UnitKind
from models.errors import Refusal
from models.organization import Member, Organization
from models.remediation import Shortcoming
from states import remediation
from states.groups import Group, group_of
from states.rule_set import RuleSet
from states.service import Checked
from vocabulary.names import REMEDIATION_STATUSES

_ORDER = list(Level)


def above(level: Level, other: Level) -> bool:
    """Whether `level` is a better classification than `other`."""
    return _ORDER.index(level) < _ORDER.index(other)


def _share(share_of_good: float) -> Fraction:
    # Through the decimal text, so 0.2 is exactly 1/5 and 0.2 × 5 allows exactly 1.
    return Fraction(str(share_of_good))


def cap_limit(good: int, share_of_good: float) -> int:
    """How many excellent a group with `good` rated good may have."""
    share = _share(share_of_good)
    return (share.numerator * good) // share.denominator


def cap_allows(excellent: int, good: int, share_of_good: float) -> bool:
    """excellent ≤ share × good, in integers."""
    share = _share(share_of_good)
    return excellent * share.denominator <= share.numerator * good


def _percent(share_of_good: float) -> str:
    value = _share(share_of_good) * 100
    return f"{value.numerator}%" if value.denominator == 1 else f"{float(value):g}%"


def cap_problem(
    *, rule_set: str, group: Group, excellent: int, good: int, share_of_good: float
) -> Refusal | None:
    """Why a comparable group's excellent count breaks the cap, or None."""
    if cap_allows(excellent, good, share_of_good):
        return None
    return Refusal(
        "cap_on_excellent",
        field="level",
        fields={
            "rules": rule_set,
            **group.fields(),
            "excellent": excellent,
            "share": _percent(share_of_good),
            "good": good,
            "limit": cap_limit(good, share_of_good),
        },
    )


def choice_problem(
    code: str, proposed: Level | None, decided: Level | None, reason: str | None
) -> Refusal | None:
    """The committee confirms or lowers the proposal; lowering needs a reason."""
    if decided is None:
        return Refusal("no_level_to_confirm", unit=code, field="level")
    if proposed is None or decided is proposed:
        return None
    if above(decided, proposed):
        return Refusal(
            "raising_refused",
            unit=code,
            field="level",
            fields={"proposed": proposed.value, "decided": decided.value},
        )
    if not reason:
        return Refusal(
            "lowering_needs_reason",
            unit=code,
            field="reason",
            fields={"proposed": proposed.value, "decided": decided.value},
        )
    return None


def head_problem(
    *, code: str, leader: str, level: Level, collective: str, collective_level: Level
) -> Refusal | None:
    """A head is not rated above the collective they lead (124-QĐ/TW)."""
    if not above(level, collective_level):
        return None
    return Refusal(
        "head_above_collective",
        unit=code,
        field="level",
        fields={
            "who": leader,
            "level": level.value,
            "collective": collective,
            "collective_level": collective_level.value,
        },
    )


def band_problem(
    *, code: str, level: Level, score: int | None, bands: Mapping[Level, int], rule_set: str
) -> Refusal | None:
    """Under a scored rule set a level needs a score at least its band's floor."""
    floor = bands.get(level)
    if floor is None:
        return None
    fields = {"level": level.value, "floor": floor, "rules": rule_set}
    if score is None:
        return Refusal("band_needs_score", unit=code, field="level", fields=fields)
    if score >= floor:
        return None
    return Refusal("band_score_low", unit=code, field="level", fields={**fields, "score": score})


def _short(text: str, width: int = 24) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text[:width]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut[: width - 1]).rstrip(" ,.;:") + "…"


def remediation_problem(
    *, code: str, unremedied: Sequence[Shortcoming], rule_set: str
) -> Refusal | None:
    """Excellent needs every shortcoming from earlier cycles remedied (366-QĐ/TW).

    The list names each shortcoming's status in the current language (worded here: a list
    of shortcomings is wider than a refusal's fields)."""
    if not unremedied:
        return None
    listed = ", ".join(
        f"#{s.id} '{_short(s.text)}', {REMEDIATION_STATUSES.name(s.status.value)}"
        for s in unremedied
    )
    return Refusal(
        "earlier_unremedied",
        unit=code,
        field="level",
        fields={
            "level": Level.EXCELLENT.value,
            "n": len(unremedied),
            "listed": listed,
            "rules": rule_set,
        },
    )


@dataclass
class _Tally:
    group: Group
    excellent: int = 0
    good: int = 0

    def add(self, level: Level | None) -> None:
        if level is Level.EXCELLENT:
            self.excellent += 1
        elif level is Level.GOOD:
            self.good += 1


def rule_problems(
    session: Session,
    checked: Checked,
    decided: Mapping[str, Level],
    rules: RuleSet,
    members: Mapping[int, Member],
) -> list[Refusal]:
    """Every rule the decisions `decided` (unit code → level) would break, in one list."""
    units = [u for u in checked.units if u.code in decided]
    problems = _cap(session, checked, units, decided, rules)
    problems += _heads(session, checked, units, decided, members)
    for unit in units:
        if rules.scored and rules.score_bands:
            found = band_problem(
                code=unit.code,
                level=decided[unit.code],
                score=unit.score,
                bands=rules.score_bands,
                rule_set=rules.name,
            )
            if found:
                problems.append(found)
    if rules.excellent_requires_all_remedied:
        best = [u for u in units if decided[u.code] is Level.EXCELLENT]
        earlier = remediation.unremedied_earlier(session, checked.cycle, best) if best else {}
        for unit in best:
            found = remediation_problem(
                code=unit.code,
                unremedied=earlier.get(unit.id or 0, []),
                rule_set=rules.name,
            )
            if found:
                problems.append(found)
    return problems


def _cap(
    session: Session,
    checked: Checked,
    units: list[Unit],
    decided: Mapping[str, Level],
    rules: RuleSet,
) -> list[Refusal]:
    """Count each group the action adds an excellent to: earlier decisions plus these."""
    cap = rules.excellent_cap
    if cap is None:
        return []
    directory = checked.guards.directory
    tallies: dict[tuple[str, int], _Tally] = {}
    for unit in units:
        group = group_of(unit, directory, rules)
        if group is not None and decided[unit.code] is Level.EXCELLENT:
            tallies.setdefault(group.key, _Tally(group))
    if not tallies:
        return []
    _lock_groups(session, checked, tallies)
    for unit in units:
        group = group_of(unit, directory, rules)
        if group is not None and group.key in tallies:
            tallies[group.key].add(decided[unit.code])
    # Earlier decisions, narrowed in SQL to the groups' kinds and subtrees.
    earlier = session.exec(
        select(Unit)
        .join(Organization, col(Organization.id) == col(Unit.organization_id))
        .where(
            Unit.cycle_id == checked.cycle.id,
            col(Unit.final_level).in_([Level.EXCELLENT, Level.GOOD]),
            col(Unit.kind).in_(list({t.group.kind for t in tallies.values()})),
            col(Unit.code).not_in(list(decided)),
            or_(*(col(Organization.path).startswith(t.group.org.path) for t in tallies.values())),
        )
    ).all()
    for unit in earlier:
        group = group_of(unit, directory, rules)
        if group is not None and group.key in tallies:
            tallies[group.key].add(unit.final_level)
    problems: list[Refusal] = []
    for tally in tallies.values():
        found = cap_problem(
            rule_set=rules.name,
            group=tally.group,
            excellent=tally.excellent,
            good=tally.good,
            share_of_good=cap.share_of_good,
        )
        if found:
            problems.append(found)
    return problems


def _lock_groups(session: Session, checked: Checked, tallies: Mapping[Any, _Tally]) -> None:
    """Two committees deciding excellent in one group at once would each count the other's
    decisions as not yet made; on PostgreSQL each group's count is taken under a lock held to
    the end of the transaction, in a fixed order (SQLite lets one writer in at a time)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(tallies):
        name = f"cap:{checked.cycle.id}:{key[0]}:{key[1]}".encode()
        lock_id = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(lock_id)))


def _heads(
    session: Session,
    checked: Checked,
    units: list[Unit],
    decided: Mapping[str, Level],
    members: Mapping[int, Member],
) -> list[Refusal]:
    """A leader against the collective they lead: its leadership (T:), or a cell itself (O:).

    A collective not decided yet is skipped: deciding it first is the ordering guard's job.
    """
    leaders = [u for u in units if u.kind is UnitKind.LEADER]
    if not leaders:
        return []
    directory = checked.guards.directory
    candidates = {
        u.code: (
            f"T:{directory.orgs[u.organization_id].code}",
            f"O:{directory.orgs[u.organization_id].code}",
        )
        for u in leaders
    }
    codes = [code for pair in candidates.values() for code in pair]
    rows = session.exec(
        select(Unit.code, Unit.final_level).where(
            Unit.cycle_id == checked.cycle.id, col(Unit.code).in_(codes)
        )
    )
    levels: dict[str, Level | None] = {code: Level(v) if v else None for code, v in rows}
    levels.update(decided)
    problems: list[Refusal] = []
    for unit in leaders:
        leadership, organization = candidates[unit.code]
        collective = leadership if leadership in levels else organization
        collective_level = levels.get(collective)
        if collective_level is None:
            continue
        member = members.get(unit.member_id) if unit.member_id else None
        found = head_problem(
            code=unit.code,
            leader=f"{unit.code} ({member.full_name})" if member else unit.code,
            level=decided[unit.code],
            collective=collective,
            collective_level=collective_level,
        )
        if found:
            problems.append(found)
    return problems
