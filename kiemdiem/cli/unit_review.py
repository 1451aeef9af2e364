"""`kiemdiem unit suggest|form|submit|comment|opinion`: before the vote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kiemdiem.cli._common import (
    AsOption,
    CycleArg,
    JsonOption,
    LevelChoice,
    NowOption,
    UnitArg,
    UnitsArg,
    console,
    text,
    transaction,
)
from kiemdiem.cli.unit import app, perform
from vocabulary import N_, _, names

if TYPE_CHECKING:
    from states.self_review import ShortcomingInput

Criteria = Annotated[
    list[str] | None,
    typer.Option(
        "--criterion", metavar="NAME=answer", help=N_("An answer per criterion (repeat).")
    ),
]
Shortcomings = Annotated[
    list[str] | None,
    typer.Option(
        "--shortcoming",
        metavar="text|cause[|ID]",
        help=N_("A shortcoming and its cause (repeat); ID: last year's one it records again."),
    ),
]
Answers = Annotated[
    list[str] | None,
    typer.Option(
        "--answer", metavar="ID=text", help=N_("An answer per review suggestion (repeat).")
    ),
]
Carried = Annotated[
    list[str] | None,
    typer.Option(
        "--carried",
        metavar="ID=text",
        help=N_("What was done about each shortcoming carried over from last year (repeat)."),
    ),
]


def _pairs(values: list[str] | None, option: str) -> list[tuple[str, str]]:
    """'KEY=text' options as (key, text); a value without '=' is refused naming the option."""
    out = []
    for value in values or []:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(
                _("{value}: write KEY=text").format(value=repr(value)), param_hint=option
            )
        out.append((key.strip(), text.strip()))
    return out


def _ids(values: list[str] | None, option: str) -> dict[int, str]:
    found = {}
    for key, answer in _pairs(values, option):
        if not key.lstrip("#").isdigit():
            raise typer.BadParameter(
                _("{key} is not an id; write e.g. 12=text").format(key=repr(key)),
                param_hint=option,
            )
        found[int(key.lstrip("#"))] = answer
    return found


def _criteria(values: list[str] | None, path: Path | None) -> dict[str, str]:
    found: dict[str, str] = {}
    if path is not None:
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except (OSError, yaml.YAMLError) as exc:
            raise typer.BadParameter(f"{path}: {exc}", param_hint="--criteria-file") from None
        if not isinstance(data, dict):
            raise typer.BadParameter(
                _("{path}: write one 'criterion: answer' line per criterion").format(path=path),
                param_hint="--criteria-file",
            )
        found.update({str(k): "" if v is None else str(v) for k, v in data.items()})
    found.update(_pairs(values, "--criterion"))
    return found


def _shortcoming(value: str) -> ShortcomingInput:
    """'text|cause' or 'text|cause|#ID' (ID: last year's shortcoming it records again)."""
    from states.self_review import ShortcomingInput

    parts = [p.strip() for p in value.split("|")]
    if len(parts) > 3 or (len(parts) == 3 and not parts[2].lstrip("#").isdigit()):
        raise typer.BadParameter(
            _("{value}: write 'text|cause' or 'text|cause|ID'").format(value=repr(value)),
            param_hint="--shortcoming",
        )
    repeats = int(parts[2].lstrip("#")) if len(parts) == 3 else None
    return ShortcomingInput(parts[0], parts[1] if len(parts) > 1 else "", repeats)


# Commands in the order a unit meets them: what the form asks, suggestions before the
# self-review, the self-review, then peer review's comments and opinions.


@app.command(
    "form",
    help=N_(
        "What a unit's self-review must answer: criteria, score bands, suggestions, last year."
    ),
)
def form_(
    cycle: CycleArg, unit: UnitArg, json_output: JsonOption = False, now: NowOption = None
) -> None:
    from models import resolve_now
    from states.self_review import self_review_form

    with transaction() as session:
        form = self_review_form(session, cycle, unit, now=resolve_now(now))
    if json_output:
        print(json.dumps(form, ensure_ascii=False, indent=2))
        return
    console.print(
        _(
            "{unit} ({kind}), {state}; self-review due by the end of {day}; rules {rules}: {title}"
        ).format(
            unit=text(form["unit"]),
            kind=names.KINDS.name(form["kind"]),
            state=names.STATES.name(form["state"]),
            day=text(form["due_local"]) + (_(" (passed)") if form["overdue"] else ""),
            rules=text(form["rule_set"]),
            title=text(form["rule_set_title"]),
        )
    )
    console.print(_('Criteria (--criterion "NAME=answer" each):'))
    for name in form["criteria"]:
        console.print(f"  - {text(name)}")
    if form["scored"]:
        bands = ", ".join(
            f"{names.LEVELS.name(level)} >= {low}" for level, low in form["score_bands"].items()
        )
        console.print(_("Score (--score, 0..100): {bands}").format(bands=bands))
    console.print(
        _("Levels: {levels}").format(
            levels=", ".join(f"{lv} ({names.LEVELS.name(lv)})" for lv in form["levels"])
        )
    )
    console.print(
        _('Review suggestions to answer (--answer "ID=text"): {n}').format(
            n=len(form["suggestions"]) or _("none")
        )
    )
    for s in form["suggestions"]:
        console.print(
            "  "
            + _("#{id} from {who} ({role}, {at}): {text}").format(
                id=s["id"],
                who=text(s["from"]),
                role=text(s["role"]),
                at=text(s["at"]),
                text=text(s["text"]),
            )
        )
    console.print(
        _('Last year\'s shortcomings (--carried "ID=what was done"): {n}').format(
            n=len(form["carried_over"]) or _("none")
        )
    )
    for c in form["carried_over"]:
        console.print(
            f"  #{c['id']} ({names.REMEDIATION_STATUSES.name(c['status'])}) {text(c['text'])}"
            + ("" if c["needs_answer"] else " " + _("(remedied; an answer is optional)"))
        )


@app.command("suggest", help=N_("Write a review suggestion to units before their self-review."))
def suggest_(
    cycle: CycleArg,
    units: UnitsArg,
    as_: AsOption,
    text: str = typer.Option(..., help=N_("The suggestion the self-review must answer.")),
    role: str | None = typer.Option(
        None,
        help=N_("committee, standing or inspection; default: the first the member holds."),
    ),
    now: NowOption = None,
) -> None:
    from models import load_settings, resolve_now
    from states.suggestions import suggest

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


@app.command(
    help=N_(
        "Submit a self-review (or resubmit one returned for re-review); `unit form` shows "
        "what it must answer."
    )
)
def submit(
    cycle: CycleArg,
    unit: UnitArg,
    as_: AsOption,
    level: LevelChoice = typer.Option(..., help=N_("The proposed level.")),
    score: int | None = typer.Option(
        None, help=N_("The self-assessed score, where the rules score.")
    ),
    criterion: Criteria = None,
    criteria_file: Path | None = typer.Option(
        None, help=N_("A YAML file mapping each criterion to its answer.")
    ),
    strengths: str = typer.Option("", help=N_("The strengths the unit sees in itself.")),
    shortcoming: Shortcomings = None,
    remedies: str = typer.Option("", help=N_("How the unit will remedy its shortcomings.")),
    answer: Answers = None,
    carried: Carried = None,
    now: NowOption = None,
) -> None:
    from models import Level, load_settings, resolve_now
    from states import submit_self_review

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
        proposed_level=Level(level.value),
        score=score,
        strengths=strengths,
        remedies=remedies,
        settings=load_settings(),
        **form,
    )


@app.command("comment", help=N_("Record a peer-review comment on units."))
def comment_(
    cycle: CycleArg,
    units: UnitsArg,
    as_: AsOption,
    text: str = typer.Option(..., help=N_("The comment.")),
    now: NowOption = None,
) -> None:
    from models import resolve_now
    from states import comment

    perform(
        comment,
        cycle_code=cycle,
        unit_codes=units,
        actor_code=as_,
        now=resolve_now(now),
        text=text,
    )


@app.command("opinion", help=N_("Enter an opinion requested for a unit's peer review."))
def opinion(
    cycle: CycleArg,
    unit: UnitArg,
    as_: AsOption,
    source: str = typer.Option(
        ..., "--from", help=N_("Who gives it: residence:<cell code> or office:<office code>.")
    ),
    text: str = typer.Option(..., help=N_("The opinion.")),
    now: NowOption = None,
) -> None:
    from models import resolve_now
    from states.peer_review import give_opinion

    perform(
        give_opinion,
        cycle_code=cycle,
        unit_code=unit,
        source=source,
        actor_code=as_,
        now=resolve_now(now),
        text=text,
    )
