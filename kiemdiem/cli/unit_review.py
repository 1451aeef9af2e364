"""`kiemdiem unit suggest|form|submit|comment|opinion`: before the vote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from kiemdiem.cli._common import AsOption, NowOption, console, transaction
from kiemdiem.cli.unit import Units, app, perform
from models import Level, load_settings, resolve_now
from states import comment, submit_self_review
from states.peer_review import give_opinion
from states.self_review import ShortcomingInput, self_review_form
from states.suggestions import suggest
from vocabulary import _

Criteria = Annotated[
    list[str] | None,
    typer.Option("--criterion", metavar="NAME=answer", help="An answer per criterion (repeat)."),
]
Shortcomings = Annotated[
    list[str] | None,
    typer.Option(
        "--shortcoming",
        metavar="text|cause[|ID]",
        help="A shortcoming and its cause (repeat); ID: last year's one it records again.",
    ),
]
Answers = Annotated[
    list[str] | None,
    typer.Option("--answer", metavar="ID=text", help="An answer per review suggestion (repeat)."),
]
Carried = Annotated[
    list[str] | None,
    typer.Option(
        "--carried",
        metavar="ID=text",
        help="What was done about each shortcoming carried over from last year (repeat).",
    ),
]


def _pairs(values: list[str] | None, option: str) -> list[tuple[str, str]]:
    """'KEY=text' options as (key, text); a value without '=' is refused naming the option."""
    out = []
    for value in values or []:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{value!r}: write KEY=text", param_hint=option)
        out.append((key.strip(), text.strip()))
    return out


def _ids(values: list[str] | None, option: str) -> dict[int, str]:
    found = {}
    for key, text in _pairs(values, option):
        if not key.lstrip("#").isdigit():
            raise typer.BadParameter(f"{key!r} is not an id; write e.g. 12=text", param_hint=option)
        found[int(key.lstrip("#"))] = text
    return found


def _criteria(values: list[str] | None, path: Path | None) -> dict[str, str]:
    found: dict[str, str] = {}
    if path is not None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except (OSError, yaml.YAMLError) as exc:
            raise typer.BadParameter(f"{path}: {exc}", param_hint="--criteria-file") from None
        if not isinstance(data, dict):
            raise typer.BadParameter(
                f"{path}: write one 'criterion: answer' line per criterion",
                param_hint="--criteria-file",
            )
        found.update({str(k): "" if v is None else str(v) for k, v in data.items()})
    found.update(_pairs(values, "--criterion"))
    return found


def _shortcoming(value: str) -> ShortcomingInput:
    """'text|cause' or 'text|cause|#ID' (ID: last year's shortcoming it records again)."""
    parts = [p.strip() for p in value.split("|")]
    if len(parts) > 3 or (len(parts) == 3 and not parts[2].lstrip("#").isdigit()):
        raise typer.BadParameter(
            f"{value!r}: write 'text|cause' or 'text|cause|ID'", param_hint="--shortcoming"
        )
    repeats = int(parts[2].lstrip("#")) if len(parts) == 3 else None
    return ShortcomingInput(parts[0], parts[1] if len(parts) > 1 else "", repeats)


@app.command()
def submit(
    cycle: str,
    unit: str,
    as_: AsOption,
    level: Level = typer.Option(..., help="Proposed level."),
    score: int | None = typer.Option(None, help="Self-assessed score, where the rules score."),
    criterion: Criteria = None,
    criteria_file: Path | None = typer.Option(
        None, help="YAML mapping each criterion to its answer."
    ),
    strengths: str = "",
    shortcoming: Shortcomings = None,
    remedies: str = "",
    answer: Answers = None,
    carried: Carried = None,
    now: NowOption = None,
) -> None:
    """Submit a self-review (or resubmit one returned for re-review); `unit form` shows what
    it must answer."""
    form: dict[str, Any] = {
        "criteria": _criteria(criterion, criteria_file),
        "shortcomings": [_shortcoming(s) for s in shortcoming or []],
        "answers": _ids(answer, "--answer"),
        "carried": _ids(carried, "--carried"),
    }
    perform(
        submit_self_review,
        cycle_code=cycle,
        unit_code=unit,
        actor_code=as_,
        now=resolve_now(now),
        proposed_level=level,
        score=score,
        strengths=strengths,
        remedies=remedies,
        settings=load_settings(),
        **form,
    )


@app.command("form")
def form_(
    cycle: str,
    unit: str,
    json_output: bool = typer.Option(False, "--json", help="Print the form as JSON."),
    now: NowOption = None,
) -> None:
    """What a unit's self-review must answer: criteria, score bands, suggestions, last year."""
    with transaction() as session:
        form = self_review_form(session, cycle, unit, now=resolve_now(now))
    if json_output:
        print(json.dumps(form, ensure_ascii=False, indent=2))
        return
    console.print(
        f"{form['unit']} ({form['kind']}), {form['state']}; self-review due by the end of "
        f"{form['due_local']}{_(' (passed)') if form['overdue'] else ''}; "
        f"rules {form['rule_set']}: {form['rule_set_title']}",
        highlight=False,
    )
    console.print('Criteria (--criterion "NAME=answer" each):', highlight=False)
    for name in form["criteria"]:
        console.print(f"  - {name}", highlight=False, markup=False)
    if form["scored"]:
        bands = ", ".join(f"{level} >= {low}" for level, low in form["score_bands"].items())
        console.print(f"Score (--score, 0..100): {bands}", highlight=False)
    console.print(f"Levels: {', '.join(form['levels'])}", highlight=False)
    console.print(
        'Review suggestions to answer (--answer "ID=text"):'
        + ("" if form["suggestions"] else " none"),
        highlight=False,
    )
    for s in form["suggestions"]:
        console.print(
            f"  #{s['id']} from {s['from']} ({s['role']}, {s['at']}): {s['text']}",
            highlight=False,
            markup=False,
        )
    console.print(
        'Last year\'s shortcomings (--carried "ID=what was done"):'
        + ("" if form["carried_over"] else " none"),
        highlight=False,
    )
    for c in form["carried_over"]:
        console.print(
            f"  #{c['id']} [{c['status']}] {c['text']}"
            + ("" if c["needs_answer"] else " (remedied; an answer is optional)"),
            highlight=False,
            markup=False,
        )


@app.command("suggest")
def suggest_(
    cycle: str,
    units: Units,
    as_: AsOption,
    text: str = typer.Option(..., help="The suggestion the self-review must answer."),
    role: str | None = typer.Option(
        None, help="committee, standing or inspection; default: the first the member holds."
    ),
    now: NowOption = None,
) -> None:
    """Write a review suggestion to units before their self-review."""
    perform(
        suggest,
        cycle_code=cycle,
        unit_codes=units,
        actor_code=as_,
        now=resolve_now(now),
        text=text,
        role=role,
        settings=load_settings(),
    )


@app.command("comment")
def comment_(
    cycle: str, units: Units, as_: AsOption, text: str = typer.Option(...), now: NowOption = None
) -> None:
    """Record a peer-review comment."""
    perform(
        comment,
        cycle_code=cycle,
        unit_codes=units,
        actor_code=as_,
        now=resolve_now(now),
        text=text,
    )


@app.command("opinion")
def opinion(
    cycle: str,
    unit: str,
    as_: AsOption,
    source: str = typer.Option(
        ..., "--from", help="residence:<cell code> or office:<office code>."
    ),
    text: str = typer.Option(...),
    now: NowOption = None,
) -> None:
    """Enter an opinion requested for a unit's peer review."""
    perform(
        give_opinion,
        cycle_code=cycle,
        unit_code=unit,
        source=source,
        actor_code=as_,
        now=resolve_now(now),
        text=text,
    )
