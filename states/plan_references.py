"""What a plan names in the database (organizations, members, last year's cycle), checked in
the same pass as the plan's own keys, so one run lists every problem of the file."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from models.cycle import Cycle
from models.errors import PlanInvalid
from models.organization import Member, Organization
from states._plan_file import read_plan_data
from states.directory import Directory
from states.plan import Plan, parse_plan
from vocabulary import _


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _named(data: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(key, "organization" | "member" | "cycle", code) for each code the plan names,
    read leniently: a key of the wrong shape is the plan validation's to word."""
    if isinstance(data.get("launched_by"), str):
        yield "launched_by", "organization", data["launched_by"]
    if isinstance(data.get("higher_committee"), str):
        yield "higher_committee", "organization", data["higher_committee"]
    pilots = data.get("pilots")
    if isinstance(pilots, Mapping):
        for i, code in enumerate(_list(pilots.get("organizations"))):
            yield f"pilots.organizations[{i}]", "organization", code
    for t, team in enumerate(_list(data.get("directing_teams"))):
        if not isinstance(team, Mapping):
            continue
        for i, code in enumerate(_list(team.get("organizations"))):
            yield f"directing_teams[{t}].organizations[{i}]", "organization", code
        if team.get("lead"):
            yield f"directing_teams[{t}].lead", "member", team["lead"]
    for i, code in enumerate(_list(data.get("inspection_commission"))):
        yield f"inspection_commission[{i}]", "member", code
    opinions = data.get("opinions")
    if isinstance(opinions, Mapping):
        for o, office in enumerate(_list(opinions.get("offices"))):
            if isinstance(office, Mapping):
                for i, code in enumerate(_list(office.get("organizations"))):
                    yield f"opinions.offices[{o}].organizations[{i}]", "organization", code
                if office.get("contact"):
                    yield f"opinions.offices[{o}].contact", "member", office["contact"]
    if data.get("previous_cycle"):
        yield "previous_cycle", "cycle", data["previous_cycle"]


def reference_problems(session: Session, data: Mapping[str, Any], *, source: str) -> list[str]:
    """Every organization, member and cycle the plan names that is not in the database."""
    named = [(k, kind, str(code)) for k, kind, code in _named(data) if isinstance(code, str | int)]
    tables: dict[str, Any] = {
        "organization": Organization.code,
        "member": Member.code,
        "cycle": Cycle.code,
    }
    found: dict[str, set[str]] = {}
    for kind, column in tables.items():
        codes = {code for _k, k, code in named if k == kind}
        found[kind] = (
            set(session.exec(select(column).where(col(column).in_(codes))).all())
            if codes
            else set()
        )
    sentences = {
        "organization": _("{key}: {code!r} is not an imported organization"),
        "member": _("{key}: {code!r} is not an imported member"),
        "cycle": _("{key}: {code!r} is not a cycle in this database"),
    }
    problems = [
        f"{source}: " + sentences[kind].format(key=key, code=code)
        for key, kind, code in named
        if code not in found[kind]
    ]
    return problems + [f"{source}: {p}" for p in _higher_committee_problems(session, data)]


def _higher_committee_problems(session: Session, data: Mapping[str, Any]) -> list[str]:
    """The launching committee's own units are decided above it: by the plan's
    `higher_committee`, an imported organization above it, or else by its parent."""
    launched_by, higher = data.get("launched_by"), data.get("higher_committee")
    directory = Directory.load(session)
    launching = directory.by_code.get(launched_by) if isinstance(launched_by, str) else None
    if launching is None:
        return []  # worded as not imported above
    above = [node.code for node in directory.lineage(launching.id)][1:]
    if higher is None:
        if above:
            return []
        return [
            _(
                "higher_committee: {code} has no organization above it in the tree, so nobody "
                "could decide its own collective, leadership and head; import the committee "
                "above it (as its parent_code) and name it here"
            ).format(code=launched_by)
        ]
    if not isinstance(higher, str) or higher not in directory.by_code or higher in above:
        return []  # not imported: worded above
    return [
        _(
            "higher_committee: {higher!r} is not an organization above {code} (above it: {above})"
        ).format(higher=higher, code=launched_by, above=", ".join(above) or "-")
    ]


def check_plan_file(session: Session, path: Path) -> Plan:
    """The plan in `path`, checked completely (its keys and what it names) before anything
    starts: PlanInvalid lists every problem of the file at once."""
    data = read_plan_data(path)
    problems: list[str] = []
    plan = None
    try:
        plan = parse_plan(data, source=path.name)
    except PlanInvalid as exc:
        problems = list(exc.problems)
    if isinstance(data, Mapping):
        problems += reference_problems(session, data, source=path.name)
    if problems or plan is None:
        raise PlanInvalid(problems)
    return plan


def past_due_warning(plan: Plan, now: datetime) -> str | None:
    """A warning when every due date of the plan is already past at `now`."""
    days = list(plan.due.as_dict().values())
    if plan.pilots:
        days += list(plan.pilots.due.as_dict().values())
    last = max(days)
    if plan.due_at(last) > now:
        return None
    return _(
        "every due date of the plan is already past (the last, {day}, ended before {now}): "
        "every unit will be overdue at the first tick and escalate at once; check the dates "
        "or the clock the cycle runs on"
    ).format(day=last, now=f"{now:%Y-%m-%d %H:%M} UTC")
