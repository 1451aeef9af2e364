"""Signs that a review was a form filled in (hình thức) or a vote kept the peace (nể nang).

Each signal is a score from 0 to 1 and its evidence (the units, their texts side by side, the
counts it rests on), never a verdict: it is for the higher committee and the inspection
commission to look at, and they may return a review for re-review from it. The probabilistic
ones read as "how unlikely this is by chance, given the district": a cell of twenty all rated
good where two in three are good district-wide scores 1 - (2/3)^20.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from models.cycle import Level, UnitKind
from states.insights._rows import CycleRows, UnitRow
from states.insights._text import (
    MIN_WORDS,
    Text,
    clusters,
    near_duplicates,
    normalise,
    word_similarity,
    words_of,
)

# Copies with 5–20% of their words edited stay above this; honest reviews written from the
# same guidance fall well below it (bench/insights.py measures both).
COPY_THRESHOLD = 0.85
CARRIED_THRESHOLD = 0.9
# Cells smaller than this say little about patterns of levels or comments.
MIN_CELL = 5
# A pattern is shown once it is this unlikely by chance (its score at least this).
PATTERN_SCORE = 0.9
EMPTY_SHARE = 0.8
TOP = (Level.EXCELLENT, Level.GOOD)

_PRAISE = (
    "tốt",
    "nhất trí",
    "đồng ý",
    "thống nhất",
    "gương mẫu",
    "xuất sắc",
    "tích cực",
    "không có ý kiến",
    "không ý kiến",
    "hoàn thành",
)
_CRITICAL = (
    "hạn chế",
    "khuyết điểm",
    "cần",
    "chưa",
    "đề nghị",
    "nên",
    "thiếu",
    "yếu",
    "chậm",
    "khắc phục",
    "làm rõ",
)


def signal(
    name: str, score: float, organization: str, units: list[str], **evidence: Any
) -> dict[str, Any]:
    return {
        "signal": name,
        "score": round(score, 3),
        "organization": organization,
        "units": units,
        "evidence": evidence,
    }


def copied_reviews(rows: CycleRows, *, threshold: float = COPY_THRESHOLD) -> list[dict[str, Any]]:
    """Self-reviews of one grassroots organization copied from each other with small edits."""
    by_id = {u.id: u for u in rows.units}
    group = {u.code: rows.directory.rollup(u.org_id).code for u in rows.units}
    texts = [
        Text(review.unit_code, group[review.unit_code], review.body)
        for unit_id, review in rows.reviews.items()
        if unit_id in by_id
    ]
    bodies = {t.key: t.text for t in texts}
    out = []
    for found in clusters(near_duplicates(texts, threshold=threshold)):
        units = sorted({m.a for m in found} | {m.b for m in found})
        out.append(
            signal(
                "copied_self_review",
                max(m.similarity for m in found),
                found[0].group,
                units,
                pairs=[{"units": [m.a, m.b], "similarity": m.similarity} for m in found],
                texts={code: bodies[code] for code in units},
            )
        )
    return out


def copied_from_last_year(
    rows: CycleRows, *, threshold: float = CARRIED_THRESHOLD
) -> list[dict[str, Any]]:
    """Shortcomings and remedies written again nearly word for word from last year's review
    of the same unit."""
    out = []
    for unit in rows.units:
        now, then = rows.reviews.get(unit.id), rows.previous_reviews.get(unit.code)
        if now is None or then is None:
            continue
        # Both together: one short sentence of the usual form matches last year's by chance.
        a = words_of(f"{now.shortcomings} {now.remedies}")
        b = words_of(f"{then.shortcomings} {then.remedies}")
        if len(a) < MIN_WORDS or len(b) < MIN_WORDS:
            continue
        score = word_similarity(a, b)
        if score >= threshold:
            out.append(
                signal(
                    "copied_from_last_year",
                    score,
                    rows.directory.orgs[unit.org_id].code,
                    [unit.code],
                    this_year={"shortcomings": now.shortcomings, "remedies": now.remedies},
                    last_year={"shortcomings": then.shortcomings, "remedies": then.remedies},
                )
            )
    return out


def _cells(rows: CycleRows) -> dict[int, list[UnitRow]]:
    cells: dict[int, list[UnitRow]] = defaultdict(list)
    for unit in rows.units:
        if unit.kind == UnitKind.MEMBER.value:
            cells[unit.org_id].append(unit)
    return cells


def _shares(levels: Iterable[Level | None]) -> dict[Level, float]:
    counted = Counter(level for level in levels if level is not None)
    total = sum(counted.values()) or 1
    return {level: counted[level] / total for level in Level}


def level_patterns(rows: CycleRows) -> list[dict[str, Any]]:
    """Cells whose members all got one level, or whose proposed levels are all excellent or
    good, scored against the district's distribution of the same levels."""
    cells = _cells(rows)
    members = [u for us in cells.values() for u in us]
    of_record = _shares(u.level for u in members)
    proposed = _shares(u.proposed for u in members)
    top_share = sum(proposed[level] for level in TOP)
    out = []
    for org_id, units in sorted(cells.items()):
        code = rows.directory.orgs[org_id].code
        levels = [u.level for u in units if u.level is not None]
        if len(levels) >= MIN_CELL and len(set(levels)) == 1:
            level, n = levels[0], len(levels)
            score = 1 - of_record[level] ** n
            if score >= PATTERN_SCORE:
                out.append(
                    signal(
                        "uniform_levels",
                        score,
                        code,
                        sorted(u.code for u in units if u.level is not None),
                        level=level.value,
                        members=n,
                        district_share=round(of_record[level], 3),
                    )
                )
        tops = [u.proposed for u in units if u.proposed is not None]
        if len(tops) >= MIN_CELL and all(level in TOP for level in tops):
            score = 1 - top_share ** len(tops)
            if score >= PATTERN_SCORE:
                out.append(
                    signal(
                        "all_top_levels",
                        score,
                        code,
                        sorted(u.code for u in units if u.proposed is not None),
                        levels={k.value: v for k, v in Counter(tops).items()},
                        district_top_share=round(top_share, 3),
                    )
                )
    return out


def _unanimous_top(rounds: dict[int, dict[str, int]]) -> bool:
    """Every round of the vote was unanimous, for excellent or good."""
    return bool(rounds) and all(
        len(counts) == 1 and next(iter(counts)) in {lv.value for lv in TOP}
        for counts in rounds.values()
    )


def unanimous_votes(rows: CycleRows) -> list[dict[str, Any]]:
    """Cells whose votes were unanimous for a top level round after round, where that is rarer
    across the district. Reads only stored tallies: a secret round has one once it is closed."""
    cells = _cells(rows)
    voted = [u for us in cells.values() for u in us if u.id in rows.tallies]
    district = sum(_unanimous_top(rows.tallies[u.id]) for u in voted) / (len(voted) or 1)
    out = []
    for org_id, units in sorted(cells.items()):
        tallied = [u for u in units if u.id in rows.tallies]
        unanimous = [u for u in tallied if _unanimous_top(rows.tallies[u.id])]
        if len(tallied) < MIN_CELL or len(unanimous) < len(tallied):
            continue
        score = 1 - district ** len(unanimous)
        if score >= PATTERN_SCORE:
            out.append(
                signal(
                    "unanimous_top_votes",
                    score,
                    rows.directory.orgs[org_id].code,
                    sorted(u.code for u in unanimous),
                    rounds=sum(len(rows.tallies[u.id]) for u in unanimous),
                    district_share=round(district, 3),
                )
            )
    return out


def empty_praise(text: str) -> bool:
    """A comment that only praises or agrees, with nothing to work on."""
    norm = f" {normalise(text)} "
    if not norm.strip():
        return True
    if any(f" {word} " in norm for word in _CRITICAL):
        return False
    return len(norm.split()) <= 15 and any(f" {word} " in norm for word in _PRAISE)


def hollow_comments(rows: CycleRows) -> list[dict[str, Any]]:
    """Cells whose members' peer reviews got no comment, or only empty praise."""
    out = []
    for org_id, units in sorted(_cells(rows).items()):
        reviewed = [u for u in units if u.state not in ("plan_issued", "self_review", "returned")]
        if len(reviewed) < MIN_CELL:
            continue
        missing = [u.code for u in reviewed if not rows.comments.get(u.id)]
        praise = [
            u.code
            for u in reviewed
            if rows.comments.get(u.id) and all(map(empty_praise, rows.comments[u.id]))
        ]
        share = (len(missing) + len(praise)) / len(reviewed)
        if share >= EMPTY_SHARE:
            out.append(
                signal(
                    "hollow_comments",
                    share,
                    rows.directory.orgs[org_id].code,
                    sorted(missing + praise),
                    missing=missing,
                    only_praise=praise,
                    comments={
                        c: rows.comments[u.id][:3] for u in reviewed if (c := u.code) in praise
                    },
                )
            )
    return out


def formalism(rows: CycleRows) -> list[dict[str, Any]]:
    """Every formalism signal of the cycle, the strongest first."""
    found = [
        *copied_reviews(rows),
        *copied_from_last_year(rows),
        *level_patterns(rows),
        *unanimous_votes(rows),
        *hollow_comments(rows),
    ]
    return sorted(found, key=lambda s: (-s["score"], s["signal"], s["organization"], s["units"]))
