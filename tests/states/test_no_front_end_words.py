"""The service layer speaks in codes and fields: no sentence in `states/`, `models/` or the
refusals' wording names a CLI command or flag; the CLI adds those itself (CLI_HINTS, CLI_NEXT)
and the pages their own links."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
# `kiemdiem <command>` or a long option, as a CLI front end would write it.
COMMANDS = "init|org|cycle|unit|remediation|report|serve|demo|backup|restore|diagram"
FRONT_END_WORDS = re.compile(rf"\bkiemdiem (?:{COMMANDS})\b|(?<=\s)--[a-z][a-z-]+")
LAYERS = ["states", "models", "vocabulary/wording"]


def _strings(path: Path) -> list[tuple[int, str]]:
    """Every string constant of the module except docstrings (they may name the CLI)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize("layer", LAYERS)
def test_no_cli_command_or_flag_in_the_service_layers_words(layer: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "migrations" not in path.parts
        for line, text in _strings(path)
        if FRONT_END_WORDS.search(text)
    ]
    assert found == []


def test_the_pattern_finds_what_it_is_for() -> None:
    assert FRONT_END_WORDS.search("list them with `kiemdiem remediation list CYCLE`")
    assert FRONT_END_WORDS.search("give it with --reason")
    assert not FRONT_END_WORDS.search("kiemdiem-keys/ballots.key, a plan's due-dates")
    assert not FRONT_END_WORDS.search("--format=custom")  # an argument to pg_dump
