"""What flow and task runs carry so a person finds them in the UI: tags and names, both with
the cycle and its launching committee.

Tags: `cycle:<code>` and `org:<launching committee's code>` (`run_tags`).

Names: `TT-2026 · HU-PT · tick`, `TT-2026 · HU-PT · advance`: the cycle first, so a run list sorted
or searched by name keeps a cycle's runs together, then the committee (the `org:` tag's code),
then what this run is. The parts are codes, never a person's name or address, and only codes
of the characters a code may hold (ASCII letters, digits, '.', '_', '-'; at most
`limits.CODE`), which the separator cannot be part of: a part read from a plan not yet
validated, or from a tag someone typed, is left out rather than carried into the UI and the
logs. Names are not translated: a run keeps one name whatever the office's language.

A flow run's name is resolved by Prefect before its body runs; the committee comes from the
run's own tags when it was created with them (a cycle's deployment, `run_deployment`,
`tick_here`), else from the database (`run_tags`, which falls back to the cycle alone). What
was found is kept for the body (`tags_of_this_run`), so naming adds no second lookup. A task
run's name reads the committee from its own tags, which the flow gives every task (no
database, no API call).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from models import limits

SEPARATOR = " · "
# A delivery run for every cycle's due mail (no cycle to name it by).
ALL_CYCLES = "all cycles"

# The characters of every organization code (models.limits.CODE_PATTERN) and cycle code (the
# plan's, which may also begin with '.' or '-'): no space, no markup, no control character.
_CODE = re.compile(r"[A-Za-z0-9._-]+")

# Flow run id -> the tags found while naming it, until its body takes them (a run that never
# reached its body leaves an entry: the oldest go beyond a few hundred).
_found: dict[str, list[str]] = {}
_KEPT = 256


def cycle_tag(cycle_code: str) -> str:
    return f"cycle:{cycle_code}"


def run_tags(
    cycle_code: str, database_url: str | None = None, *, launched_by: str | None = None
) -> list[str]:
    """The tags of a cycle's flow runs and of their task runs: the cycle's and its launching
    committee's (`org:<code>`), so the UI's tag filter finds one committee's runs as well as one
    cycle's. The committee is looked up when not given; a cycle not in the database (yet), or a
    database that cannot answer now, leaves only the cycle's tag: the tags help find runs, and
    the run's first task meets (and retries) a database problem itself."""
    if launched_by is None:
        from models import get_engine, session_scope
        from states.cycles import launcher_code

        try:
            with session_scope(get_engine(database_url)) as session:
                launched_by = launcher_code(session, cycle_code)
        except Exception:
            launched_by = None
    return [cycle_tag(cycle_code)] + ([f"org:{launched_by}"] if launched_by else [])


def safe_code(value: object) -> str | None:
    """`value` if it is a code (the characters and length every code keeps to), else None."""
    if isinstance(value, str) and len(value) <= limits.CODE and _CODE.fullmatch(value):
        return value
    return None


def run_name(cycle_code: object, org_code: object, what: str, *, no_cycle: str = "") -> str:
    """`<cycle> · <committee> · <what>`; without a committee `<cycle> · <what>`; without a
    cycle `<no_cycle> · <what>` (or `what` alone)."""
    cycle = safe_code(cycle_code)
    if cycle is None:
        return SEPARATOR.join([no_cycle, what]) if no_cycle else what
    org = safe_code(org_code)
    return SEPARATOR.join([cycle, org, what] if org else [cycle, what])


def org_in(tags: object, cycle_code: object) -> str | None:
    """The launching committee's code in a run's tags, if they are this cycle's tags."""
    if not isinstance(tags, list | set | tuple) or f"cycle:{cycle_code}" not in tags:
        return None
    orgs = [t.removeprefix("org:") for t in tags if isinstance(t, str) and t.startswith("org:")]
    return safe_code(orgs[0]) if len(orgs) == 1 else None


def name_this_run(what: str, *, no_cycle: str = "") -> str:
    """The name of the flow run being started, from its `cycle_code` and `database_url`
    parameters (a `flow_run_name` callable); the tags found are kept for its body."""
    from prefect.runtime import flow_run

    parameters = flow_run.parameters
    cycle_code = parameters.get("cycle_code")
    if safe_code(cycle_code) is None:
        return run_name(None, None, what, no_cycle=no_cycle)
    org = org_in(flow_run.tags, cycle_code)
    if org is not None:
        tagged = [cycle_tag(cycle_code), f"org:{org}"]
    else:
        tagged = run_tags(cycle_code, parameters.get("database_url"))
        org = org_in(tagged, cycle_code)
    if flow_run.id is not None:
        _found[flow_run.id] = tagged
        while len(_found) > _KEPT:
            _found.pop(next(iter(_found)), None)
    return run_name(cycle_code, org, what)


def tags_of_this_run(cycle_code: str, database_url: str | None) -> list[str]:
    """The cycle's tags for the flow run in progress: those found while naming it, else
    looked up now (`run_tags`)."""
    from prefect.runtime import flow_run

    found = _found.pop(flow_run.id, None) if flow_run.id is not None else None
    return found if found is not None else run_tags(cycle_code, database_url)


def task_name(what: str) -> Callable[..., str]:
    """A `task_run_name` for a task with a `cycle_code` parameter: the cycle, the committee
    of the task run's tags (when they are that cycle's), then `what`."""

    def name(parameters: dict[str, Any]) -> str:
        from prefect.runtime import task_run

        cycle_code = parameters.get("cycle_code")
        return run_name(cycle_code, org_in(task_run.tags, cycle_code), what)

    name.__qualname__ = name.__name__ = f"{what}_run_name"
    return name


def plan_task_name(what: str) -> Callable[..., str]:
    """A `task_run_name` for a task with a `plan_path` parameter, named from the plan."""

    def name(parameters: dict[str, Any]) -> str:
        return run_name(*plan_fields(parameters.get("plan_path")), what)

    name.__qualname__ = name.__name__ = f"{what}_run_name"
    return name


def plan_fields(plan_path: object) -> tuple[str | None, str | None]:
    """A plan file's cycle code and launching committee, read cheaply and only if they are
    codes; a plan that cannot be read is the launch's own problem (it fails there)."""
    try:
        plan = yaml.safe_load(Path(str(plan_path)).read_text(encoding="utf-8"))
    except Exception:
        return None, None
    if not isinstance(plan, dict):
        return None, None
    return safe_code(plan.get("code")), safe_code(plan.get("launched_by"))
