"""Every command's --help answers in Vietnamese by default and in English on request, with
every argument and option described, in the order of the process."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
import typer
from typer.testing import CliRunner

from kiemdiem.cli import app
from vocabulary import use_language

runner = CliRunner()
# Letters only Vietnamese writes: one of them in a help means the help was translated.
VIETNAMESE = re.compile("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]")


# typer carries its own click: its commands are typer.core's classes.
Command = typer.core.TyperCommand | typer.core.TyperGroup


def _paths(command: Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if isinstance(command, typer.core.TyperGroup):
        for name, sub in command.commands.items():
            found += _paths(sub, (*path, name))
    return found


def _tree() -> typer.core.TyperGroup:
    command = typer.main.get_command(app)
    assert isinstance(command, typer.core.TyperGroup)
    return command


PATHS = _paths(_tree())


def test_every_command_is_reached() -> None:
    names = {" ".join(p) for p in PATHS}
    assert {"org list", "org show", "cycle list", "cycle status", "unit vote"} <= names
    assert len(PATHS) > 30


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "kiemdiem")
def test_help_in_both_languages(path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    helps = {}
    for lang in ("vi", "en"):
        monkeypatch.setenv("KIEMDIEM_LANG", lang)
        result = runner.invoke(app, [*path, "--help"], terminal_width=100)
        assert result.exit_code == 0, result.output
        helps[lang] = result.output
    assert VIETNAMESE.search(helps["vi"]), helps["vi"]
    assert not VIETNAMESE.search(helps["en"]), helps["en"]
    assert "Cách dùng:" in helps["vi"] and "Usage:" in helps["en"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_argument_and_option_is_described_without_broken_sentences(lang: str) -> None:
    with use_language(lang):
        tree = _tree()
    undescribed = []
    for path in PATHS:
        command: Command = tree
        for name in path:
            assert isinstance(command, typer.core.TyperGroup)
            command = command.commands[name]  # type: ignore[assignment]
        assert command.help and "\n" not in command.help, path
        for param in command.params:
            text = getattr(param, "help", None)
            if not text:
                undescribed.append(f"{' '.join(path)} {param.name}")
            elif "\n" in text:
                undescribed.append(f"{' '.join(path)} {param.name}: broken by a line end")
    assert undescribed == []


def test_commands_are_listed_in_the_order_of_the_process() -> None:
    tree = _tree()
    ctx = tree.make_context("kiemdiem", [], resilient_parsing=True)
    assert tree.list_commands(ctx)[:6] == ["init", "org", "cycle", "unit", "remediation", "report"]
    unit = tree.commands["unit"]
    assert isinstance(unit, typer.core.TyperGroup)
    order = unit.list_commands(ctx)
    steps = ["suggest", "submit", "comment", "opinion", "vote", "close-vote", "approve", "results"]
    assert [c for c in order if c in steps] == steps


def test_help_is_quick_and_loads_no_database_or_prefect() -> None:
    """`kiemdiem --help` imports neither sqlmodel, states nor prefect (the half-second budget
    is measured with `time` in the report; here, what must not be loaded)."""
    code = (
        "import sys, runpy; sys.argv = ['kiemdiem', '--help']\n"
        "from kiemdiem.cli import app\n"
        "try:\n    app()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sqlmodel', 'sqlalchemy', 'states', 'models', 'prefect')"
        " if m in sys.modules))"
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert time.perf_counter() - started < 5  # generous: a loaded machine; see the report


@pytest.mark.parametrize(
    ("lang", "text", "number"), [("vi", "<chữ>", "<số nguyên>"), ("en", "<text>", "<whole number>")]
)
def test_the_kinds_of_value_are_worded_and_flags_show_none(
    lang: str, text: str, number: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", lang)
    shown = runner.invoke(app, ["serve", "--help"], terminal_width=200).output
    assert number in shown and "<int>" not in shown and "<bool>" not in shown, shown
    shown = runner.invoke(app, ["cycle", "status", "--help"], terminal_width=200).output
    assert text in shown and "<str>" not in shown and "<bool>" not in shown, shown
