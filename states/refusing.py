"""Refusing a batch: every blocking unit named, and the others said to be unchanged.

A person who names twenty units and is refused for one must learn which one, and that the
other nineteen were not changed either (an action is all or nothing), so that they can act
again without it. Every service that checks a batch refuses through `refuse_batch`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NoReturn

from models.errors import ActionRefused, Refusal


def as_refusal(problem: Refusal | str, named: Iterable[str]) -> Refusal:
    """A problem as a Refusal; a plain 'CODE: why' string keeps its unit code as the unit."""
    if isinstance(problem, Refusal):
        return problem
    code, sep, text = problem.partition(": ")
    if sep and code in set(named):
        return Refusal("text", unit=code, fields={"text": text})
    return Refusal("text", fields={"text": problem})


def batch_refusals(problems: Sequence[Refusal | str], named: Sequence[str]) -> list[Refusal]:
    """The problems, then one closing refusal: nothing changed, naming the units that were
    not refused themselves but were left unchanged with the rest."""
    named = list(dict.fromkeys(named))
    refusals = [as_refusal(p, named) for p in problems if p != "Nothing was changed."]
    refusals = [r for r in refusals if r.code != "nothing_changed" and r.code != "others_unchanged"]
    blocked = list(dict.fromkeys(r.unit for r in refusals if r.unit and r.unit in named))
    others = [code for code in named if code not in blocked]
    if blocked and others:
        refusals.append(
            Refusal(
                "others_unchanged",
                fields={
                    "blocked": ", ".join(blocked),
                    "others": ", ".join(others),
                    "count": len(others),
                },
            )
        )
    else:
        refusals.append(Refusal("nothing_changed"))
    return refusals


def refuse_batch(problems: Sequence[Refusal | str], named: Sequence[str]) -> NoReturn:
    """Raise ActionRefused for a batch (see `batch_refusals`)."""
    raise ActionRefused(*batch_refusals(problems, named))
