"""`kiemdiem unit`: what members, secretaries and approvers do, `--as` the person acting."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.table import Table

from kiemdiem.cli._common import (
    CycleArg,
    JsonOption,
    NowOption,
    UnitArg,
    UnitsArg,
    console,
    text,
    transaction,
)
from kiemdiem.cli._words import App
from vocabulary import N_, _, names

if TYPE_CHECKING:
    from states import ActionResult

app = App(
    help=N_("Act on units. Unit codes: O:<org>, T:<org> (leadership), M:<member>, L:<member>.")
)
Units = UnitsArg


# What an action that moved no unit recorded, as the CLI says it.
RECORDED = {
    "suggest": N_("review suggestion recorded"),
    "submit_self_review": N_("self-review recorded"),
    "comment": N_("comment recorded"),
    "give_opinion": N_("opinion recorded"),
    "vote": N_("ballot recorded"),
    "close_vote": N_("vote closed"),
    "call_revote": N_("revote called"),
    "approve": N_("approval recorded"),
    "return_for_review": N_("returned for re-review"),
}
# The command that does each of a unit's possible actions (`unit show`'s "can").
COMMANDS = {
    "suggest": "unit suggest",
    "submit_self_review": "unit submit",
    "comment": "unit comment",
    "give_opinion": "unit opinion",
    "vote": "unit vote",
    "close_vote": "unit close-vote",
    "call_revote": "unit close-vote",
    "approve": "unit approve",
    "return_for_review": "unit return",
}


def perform(action: Callable[..., ActionResult], **kwargs: Any) -> None:
    """Run a people's action in one transaction, then say what it did to each unit."""
    with transaction() as session:
        report(action(session=session, **kwargs))


def report(result: ActionResult) -> None:
    for code in result.units:
        if code in result.moved:
            before, after = result.moved[code]
            console.print(
                f"{text(code)}: {names.STATES.name(str(before))} → {names.STATES.name(str(after))}"
            )
        elif result.trigger in RECORDED:
            console.print(f"{text(code)}: {_(RECORDED[result.trigger])}")
        else:
            console.print(
                _("{unit}: {action} recorded").format(unit=text(code), action=text(result.trigger))
            )


@app.command(
    help=N_("A unit's state, deadlines, suggestions, opinions, vote, shortcomings and history.")
)
def show(
    cycle: CycleArg, unit: UnitArg, json_output: JsonOption = False, now: NowOption = None
) -> None:
    from models import resolve_now
    from states.unit_view import unit_view
    from vocabulary.refusals import source_name

    with transaction() as session:
        view = unit_view(session, cycle, unit, now=resolve_now(now))
    if json_output:
        print(json.dumps(view, ensure_ascii=False, indent=2))
        return
    console.print(
        _(
            "{unit} ({kind}): {state}; score {score}, proposed {proposed}, "
            "final {final}; can: {can}"
        ).format(
            unit=text(view["unit"]),
            kind=names.KINDS.name(view["kind"]),
            state=names.STATES.name(view["state"]),
            score=text(view["score"] if view["score"] is not None else "—"),
            proposed=names.LEVELS.name(view["proposed_level"]) or "—",
            final=names.LEVELS.name(view["final_level"]) or "—",
            can=", ".join(dict.fromkeys(COMMANDS.get(a, a) for a in view["can"]))
            or _("nothing (the tick moves it)"),
        )
    )
    for d in view["deadlines"]:
        late = _(" (passed)") if d["passed"] else ""
        console.print(
            "  "
            + _("{stage}: due by the end of {day}").format(
                stage=names.capitalized(names.STAGES.name(d["stage"])), day=text(d["due_local"])
            )
            + late
        )
    for line in view["suggestions"]:
        console.print("  " + _("suggestion {text}").format(text=text(line)))
    for o in view["opinions"]:
        console.print(
            "  "
            + _("opinion from {source} (due {day}): {status}").format(
                source=source_name(text(o["source"])),
                day=text(o["due_local"]),
                status=_(o["status"]),
            )
            + _recorded(o)
        )
    for c in view["comments"]:
        console.print(
            "  "
            + _("comment by {author} ({at}): {text}").format(
                author=text(c["author"]), at=text(c["at_local"]), text=text(c["text"])
            )
            + _recorded(c)
        )
    if view["vote"]:
        v = view["vote"]
        if v["tally"] is None:  # a secret round still open: the ballots are sealed
            counts = _("how each voted stays sealed until the secretary closes the vote")
        else:
            counts = ", ".join(f"{names.LEVELS.name(k)} {n}" for k, n in v["tally"].items()) or _(
                "no ballots yet"
            )
        console.print(
            "  "
            + _("vote round {round} ({ballot}): {voted} voted; {counts}").format(
                round=v["round"],
                ballot=_(BALLOTS.get(v["ballot"], v["ballot"])),
                voted=v["voted"],
                counts=counts,
            )
        )
    for item in view["shortcomings"]:
        console.print(
            "  "
            + _("shortcoming #{id} ({status}, owner {owner}, due {day}): {text}").format(
                id=str(item["id"]) + _part_of(item["split_from"]),
                status=names.REMEDIATION_STATUSES.name(item["status"]),
                owner=text(item["owner"] or "—"),
                day=text(item["due_local"]),
                text=text(item["text"]),
            )
        )
    table = Table(_("at (local)"), _("actor"), _("via"), _("move"), _("reason"))
    for entry in view["history"]:
        via = _(entry["via"]) + (f" ({entry['operator']})" if entry["operator"] else "")
        table.add_row(
            text(entry["at_local"]),
            text(entry["actor"]),
            text(via),
            text(entry["move"]),
            text(entry["reason"] or ""),
        )
    console.print(table)


def _recorded(row: dict[str, Any]) -> str:
    """ " (ghi bởi …)" when someone other than the speaker typed the text in."""
    if not row["recorded_by"]:
        return ""
    name = text(row["recorded_by"])
    if row["recorded_via"] == "cli":
        return " (" + _("recorded by {name} at the command line").format(name=name) + ")"
    return " (" + _("recorded by {name}").format(name=name) + ")"


def _part_of(original: int | None) -> str:
    """After a split, each part points to the shortcoming it was split from."""
    return _(" (part of #{id})").format(id=original) if original else ""


# How a vote is cast, as the unit view names it.
BALLOTS = {"open": N_("open ballot"), "secret": N_("secret ballot")}
# How an action came, as the audit log records it.
N_("page")
N_("cli")
N_("system")
