"""The self-review (tự kiểm điểm): the form a unit submits, checked against its rule set, the
suggestions it got and last year's shortcomings it carries."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from models.cycle import Level, SelfReview, SelfReviewDraft, StageDeadline, Suggestion, Unit
from models.errors import NOTHING_CHANGED, ActionRefused, Refusal
from models.remediation import Shortcoming
from models.settings import Settings
from states.cycles import format_day, get_cycle, get_units, plan_of, rules_of
from states.machine import RE_REVIEW, UnitState
from states.peer_review import request_opinions
from states.remediation import carried_over
from states.rule_set import RuleSet
from states.service import ActionResult, apply_moves, check_action
from states.suggestions import describe, issuer_names, suggestions_for
from states.text_limits import check_lengths
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


def _score_problems(rules: RuleSet, level: Level, score: int | None) -> list[Refusal]:
    def no(code: str, **fields: Any) -> list[Refusal]:
        return [Refusal(code, field="score", fields={"rule_set": rules.name, **fields})]

    if not rules.scored:
        return no("score_not_scored") if score is not None else []
    if score is None:
        return no("score_missing")
    if not 0 <= score <= 100:
        return no("score_out_of_range", score=score)
    most = allowed_level(rules, score)
    order = list(Level)
    bands = rules.score_bands or {}
    if order.index(level) < order.index(most) and level in bands:
        return no(
            "score_band", score=score, most=most.value, level=level.value, needed=bands[level]
        )
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
) -> list[Refusal]:
    """Everything wrong with a form, in the order of the form, each under its field
    (`criteria.N` is the rule set's N-th criterion, from 0; `answers.ID`, `carried.ID` and
    `shortcomings.N`, from 1, as the form numbers them)."""
    problems = []
    if level not in rules.levels:
        problems.append(
            Refusal(
                "level_not_in_rules",
                field="level",
                fields={"level": level.value, "rule_set": rules.name},
            )
        )
    for i, name in enumerate(rules.criteria):
        if not (criteria.get(name) or "").strip():
            problems.append(
                Refusal("criterion_unanswered", field=f"criteria.{i}", fields={"criterion": name})
            )
    for name in criteria:
        if name not in rules.criteria:
            problems.append(
                Refusal(
                    "criterion_unknown",
                    field="criteria",
                    fields={
                        "criterion": name,
                        "rule_set": rules.name,
                        "criteria": "; ".join(rules.criteria),
                    },
                )
            )
    problems += _score_problems(rules, level, score)
    got = {s.id: s for s in suggestions}
    for suggestion in suggestions:
        if not (answers.get(suggestion.id) or "").strip():  # type: ignore[arg-type]
            problems.append(
                Refusal(
                    "suggestion_unanswered",
                    field=f"answers.{suggestion.id}",
                    fields={"suggestion": describe(suggestion, names)},
                )
            )
    for sid in answers:
        if sid not in got:
            problems.append(
                Refusal(
                    "suggestion_unknown",
                    field="answers",
                    fields={"id": sid, "ids": ", ".join(f"#{i}" for i in got) or "none"},
                )
            )
    carried_ids = {s.id: s for s in earlier}
    for i, shortcoming in enumerate(shortcomings, 1):
        if not shortcoming.text.strip():
            problems.append(
                Refusal("shortcoming_empty", field=f"shortcomings.{i}", fields={"n": i})
            )
        if shortcoming.repeats is not None and shortcoming.repeats not in carried_ids:
            problems.append(
                Refusal(
                    "shortcoming_repeats_unknown",
                    field=f"shortcomings.{i}",
                    fields={"n": i, "repeats": shortcoming.repeats, "ids": _ids(earlier)},
                )
            )
    for old in earlier:
        if not old.status.is_remedied and not (carried.get(old.id) or "").strip():  # type: ignore[arg-type]
            problems.append(
                Refusal(
                    "carried_unanswered",
                    field=f"carried.{old.id}",
                    fields={"id": old.id, "text": _short(old.text), "status": old.status.value},
                )
            )
    for sid in carried:
        if sid not in carried_ids:
            problems.append(
                Refusal(
                    "carried_unknown", field="carried", fields={"id": sid, "ids": _ids(earlier)}
                )
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
    check_lengths(
        [
            *((f"criteria.{k}", v, "criterion") for k, v in (criteria or {}).items()),
            ("strengths", strengths, "strengths"),
            ("remedies", remedies, "remedies"),
            *(
                (f"shortcoming[{i}]{part}", value, kind)
                for i, s in enumerate(shortcomings, start=1)
                for part, value, kind in (("", s.text, "shortcoming"), (".cause", s.cause, "cause"))
            ),
            *((f"answer.{k}", v, "answer") for k, v in (answers or {}).items()),
            *((f"carried.{k}", v, "carried") for k, v in (carried or {}).items()),
        ]
    )
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
            *(dataclasses.replace(p, unit=unit.code) for p in problems), NOTHING_CHANGED
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
    session.execute(delete(SelfReviewDraft).where(col(SelfReviewDraft.unit_id) == unit.id))
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
