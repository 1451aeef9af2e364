"""`--now` on every command that acts or reports, and a refused batch that names its blocker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from kiemdiem.cli import app
from models import get_engine, load_settings, session_scope
from states import launch, load_plan
from tests.factories import write_district, write_plan
from tests.states.helpers import local, tick

runner = CliRunner()
# Commands that neither act on a cycle nor report its progress: the clock means nothing to
# them (the lookups show the tree as imported and the cycles as launched or closed).
CLOCKLESS = {
    *("init", "backup", "restore", "diagram", "demo", "serve"),
    *("org list", "org show", "cycle list"),
}


def _leaves(command: Any, prefix: str = "") -> dict[str, Any]:
    if hasattr(command, "commands"):
        found: dict[str, Any] = {}
        for name, sub in command.commands.items():
            found.update(_leaves(sub, f"{prefix} {name}".strip()))
        return found
    return {prefix: command}


def test_every_command_that_acts_or_reports_takes_now() -> None:
    leaves = _leaves(typer.main.get_command(app))
    assert {"unit show", "unit form", "unit results", "remediation list", "org import"} <= set(
        leaves
    )
    missing = [
        name
        for name, command in leaves.items()
        if name not in CLOCKLESS
        and not any("--now" in getattr(p, "opts", []) for p in command.params)
    ]
    assert missing == []


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    assert runner.invoke(app, ["org", "import", *map(str, write_district(tmp_path))]).exit_code == 0
    engine = get_engine()
    with session_scope(engine) as session:
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path)),
            now=local("2026-11-10 08:00"),
            settings=load_settings(),
        )
    tick(engine, local("2026-11-10 08:00"))
    return tmp_path


def test_reports_read_the_clock_they_are_given(database: Path) -> None:
    before = ["--now", "2026-11-15T09:00:00+07:00"]
    after = ["--now", "2026-11-25T09:00:00+07:00"]  # the pilot G1's self-review was due 20 Nov
    shown = json.loads(
        runner.invoke(app, ["unit", "show", "TT-2026", "M:A3", "--json", *before]).output
    )
    assert [d["passed"] for d in shown["deadlines"]] == [False] * len(shown["deadlines"])
    late = json.loads(
        runner.invoke(app, ["unit", "show", "TT-2026", "M:A3", "--json", *after]).output
    )
    assert {d["stage"]: d["passed"] for d in late["deadlines"]}["self_review"] is True
    text = runner.invoke(app, ["unit", "show", "TT-2026", "M:A3", *after]).output
    assert "(passed)" in text
    form = json.loads(
        runner.invoke(app, ["unit", "form", "TT-2026", "M:A3", "--json", *after]).output
    )
    assert form["overdue"] is True
    form = json.loads(
        runner.invoke(app, ["unit", "form", "TT-2026", "M:A3", "--json", *before]).output
    )
    assert form["overdue"] is False
    for command in (
        ["unit", "results", "TT-2026", "--as", "A3"],
        ["remediation", "list", "TT-2026"],
    ):
        result = runner.invoke(app, [*command, *after])
        assert result.exit_code == 0, result.output
    bad = runner.invoke(app, ["remediation", "list", "TT-2026", "--now", "yesterday"])
    assert bad.exit_code != 0


def test_a_refused_batch_names_its_blocker_and_the_units_left_unchanged(database: Path) -> None:
    # A2 heads G1: it may write suggestions to G1's units, not to G2's M:B3.
    command = ["unit", "suggest", "TT-2026", "M:A3", "M:B3", "M:A1", "--as", "A2"]
    result = runner.invoke(
        app, [*command, "--text", "Làm rõ.", "--now", "2026-11-15T09:00:00+07:00"]
    )
    assert result.exit_code == 1
    lines = str(result.exception).splitlines()
    assert len(lines) == 2 and lines[0].startswith("M:B3: ")
    assert lines[1].startswith("Nothing was changed: refused for M:B3;")
    assert "the other units named (M:A3, M:A1) were not changed either" in lines[1]
    shown = runner.invoke(app, ["unit", "show", "TT-2026", "M:A3", "--json"]).output
    assert json.loads(shown)["suggestions"] == []
    # Refused for every unit named: there are no others to speak of.
    alone = runner.invoke(app, [*command[:3], "M:B3", "--as", "A2", "--text", "x"])
    assert str(alone.exception).splitlines()[-1] == "Nothing was changed."
