"""The self-review (tự kiểm điểm): the form a unit submits, checked against its rule set, the
suggestions it got and last year's shortcomings it carries."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from models.cycle import Level, SelfReview, StageDeadline, Suggestion, Unit
from models.errors import ActionRefused
from models.remediation import Shortcoming
from models.settings import Settings
from states.cycles import format_day, get_cycle, get_units, plan_of, rules_of
from states.machine import RE_REVIEW, UnitState
from states.peer_review import request_opinions
from states.remediation import carried_over
from states.rule_set import RuleSet
from states.service import ActionResult, apply_moves, check_action
from states.suggestions import describe, issuer_names, suggestions_for
from vocabulary import dates


@dataclass(frozen=True)
class ShortcomingInput:
    """A shortcoming as the unit writes it: what, its cause (above all the subjective one),
    and, if it records again one of last year's shortcomings, that shortcoming's id."""

    text: str
    cause: str = ""
    repeats: int | None = None


def allowed_level(rules: RuleSet, score: int) -> Level:
    """The highest level a score reaches under the rule set's bands."""
    bands = rules.score_bands or {}
    for level in rules.levels:
        if level not in bands or score >= bands[level]:
            return level
    return rules.levels[-1]


def _score_problems(rules: RuleSet, level: Level, score: int | None) -> list[str]:
    if not rules.scored:
        if score is not None:
            return [f"{rules.name} does not score reviews; leave the score out"]
        return []
    if score is None:
        return [f"{rules.name} scores reviews: give the score (0 to 100) the unit gives itself"]
    if not 0 <= score <= 100:
        return [f"a score of {score} is outside 0..100"]
    most = allowed_level(rules, score)
    order = list(Level)
    bands = rules.score_bands or {}
    if order.index(level) < order.index(most) and level in bands:
        return [
            f"a score of {score} allows at most {most.value} under {rules.name} "
            f"({level.value} needs >= {bands[level]}); lower the level or correct the score"
        ]
    return []


def _problems(
    rules: RuleSet,
    *,
    level: Level,
    score: int | None,
    criteria: Mapping[str, str],
    shortcomings: Sequence[ShortcomingInput],
    answers: Mapping[int, str],
    carried: Mapping[int, str],
    suggestions: Sequence[Suggestion],
    names: dict[int, str],
    earlier: Sequence[Shortcoming],
) -> list[str]:
    """Everything wrong with a form, in the order of the form."""
    problems = []
    if level not in rules.levels:
        problems.append(f"{level.value} is not a level of {rules.name}")
    for name in rules.criteria:
        if not (criteria.get(name) or "").strip():
            problems.append(f"criterion '{name}' has no answer")
    for name in criteria:
        if name not in rules.criteria:
            problems.append(
                f"'{name}' is not a criterion of {rules.name}; its criteria are: "
                + "; ".join(rules.criteria)
            )
    problems += _score_problems(rules, level, score)
    got = {s.id: s for s in suggestions}
    for suggestion in suggestions:
        if not (answers.get(suggestion.id) or "").strip():  # type: ignore[arg-type]
            problems.append(f"suggestion {describe(suggestion, names)} has no answer")
    for sid in answers:
        if sid not in got:
            problems.append(
                f"an answer names suggestion #{sid}, which the unit did not get; its "
                f"suggestions: {', '.join(f'#{i}' for i in got) or 'none'}"
            )
    carried_ids = {s.id: s for s in earlier}
    for i, shortcoming in enumerate(shortcomings, 1):
        if not shortcoming.text.strip():
            problems.append(f"shortcoming {i} has no text")
        if shortcoming.repeats is not None and shortcoming.repeats not in carried_ids:
            problems.append(
                f"shortcoming {i} repeats #{shortcoming.repeats}, which is not one of the "
                f"unit's carried-over shortcomings ({_ids(earlier)})"
            )
    for old in earlier:
        if not old.status.is_remedied and not (carried.get(old.id) or "").strip():  # type: ignore[arg-type]
            problems.append(
                f"carried-over shortcoming #{old.id} ('{_short(old.text)}', {old.status.value}) "
                "has no answer saying what was done about it"
            )
    for sid in carried:
        if sid not in carried_ids:
            problems.append(
                f"an answer names carried-over shortcoming #{sid}, which the unit does not "
                f"carry ({_ids(earlier)})"
            )
    return problems


def _ids(items: Sequence[Shortcoming]) -> str:
    return ", ".join(f"#{s.id}" for s in items) or "it carries none"


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def submit_self_review(
    *,
    session: Session,
    cycle_code: str,
    unit_code: str,
    actor_code: str,
    now: datetime,
    proposed_level: Level,
    score: int | None = None,
    criteria: Mapping[str, str] | None = None,
    strengths: str = "",
    shortcomings: Sequence[ShortcomingInput] = (),
    remedies: str = "",
    answers: Mapping[int, str] | None = None,
    carried: Mapping[int, str] | None = None,
    settings: Settings | None = None,
) -> ActionResult:
    """Submit (or, after a return, resubmit) a unit's self-review.

    `criteria` answers each criterion of the rule set; `score` is required where the rule set
    scores; `answers` answers each review suggestion the unit got (by id); `carried` says what
    was done about each of last year's shortcomings (by id). Every problem is refused at once.
    """
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=[unit_code],
        actor_code=actor_code,
        trigger="submit_self_review",
        lock="update",
    )
    unit = checked.units[0]
    assert unit.id is not None and checked.actor.id is not None
    suggestions = suggestions_for(session, [unit.id]).get(unit.id, [])
    problems = _problems(
        rules_of(checked.cycle),
        level=proposed_level,
        score=score,
        criteria=criteria or {},
        shortcomings=shortcomings,
        answers=answers or {},
        carried=carried or {},
        suggestions=suggestions,
        names=issuer_names(session, suggestions),
        earlier=carried_over(session, checked.cycle, unit),
    )
    if problems:
        raise ActionRefused(
            "\n".join([*(f"{unit.code}: {p}" for p in problems), "Nothing was changed."])
        )
    session.add(
        SelfReview(
            unit_id=unit.id,
            author_id=checked.actor.id,
            submitted_at=now,
            proposed_level=proposed_level,
            score=score,
            strengths=strengths,
            shortcomings="\n".join(s.text for s in shortcomings),
            remedies=remedies,
            criteria_json=json.dumps(dict(criteria or {}), ensure_ascii=False),
            shortcomings_json=json.dumps([asdict(s) for s in shortcomings], ensure_ascii=False),
            answers_json=json.dumps({str(k): v for k, v in (answers or {}).items()}),
            carried_json=json.dumps({str(k): v for k, v in (carried or {}).items()}),
        )
    )
    result = apply_moves(
        session,
        checked,
        trigger="submit_self_review",
        now=now,
        proposed_level=proposed_level,
        score=score,
        has_shortcomings=bool(shortcomings),
    )
    if unit.state == UnitState.PEER_REVIEW:
        request_opinions(session, checked.cycle, [unit], now, settings=settings)
    return result


def self_review_form(
    session: Session, cycle_code: str, unit_code: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """What the writer of a unit's self-review is shown before writing it (with `now`,
    whether its due time has passed)."""
    cycle = get_cycle(session, cycle_code)
    unit: Unit = get_units(session, cycle, [unit_code])[0]
    assert unit.id is not None
    rules, plan = rules_of(cycle), plan_of(cycle)
    suggestions = suggestions_for(session, [unit.id]).get(unit.id, [])
    names = issuer_names(session, suggestions)
    stage = RE_REVIEW if unit.state == UnitState.RETURNED else "self_review"
    due = session.exec(
        select(StageDeadline.due_at).where(
            StageDeadline.unit_id == unit.id, StageDeadline.stage == stage
        )
    ).first()
    return {
        "cycle": cycle.code,
        "unit": unit.code,
        "kind": unit.kind.value,
        "state": unit.state,
        "due_local": format_day(due, plan) if due else None,
        "overdue": bool(now is not None and due is not None and due <= now),
        "rule_set": rules.name,
        "rule_set_title": rules.title,
        "levels": [level.value for level in rules.levels],
        "criteria": list(rules.criteria),
        "scored": rules.scored,
        "score_bands": {k.value: v for k, v in (rules.score_bands or {}).items()},
        "excellent_requires_all_remedied": rules.excellent_requires_all_remedied,
        "suggestions": [
            {
                "id": s.id,
                "from": names.get(s.issued_by_id, ""),
                "role": s.issuer_role,
                "at": dates.moment(s.at, plan.zone),
                "text": s.text,
            }
            for s in suggestions
        ],
        "carried_over": [
            {
                "id": s.id,
                "text": s.text,
                "cause": s.cause,
                "status": s.status.value,
                "remedied": s.status.is_remedied,
                "needs_answer": not s.status.is_remedied,
            }
            for s in carried_over(session, cycle, unit)
        ],
    }
