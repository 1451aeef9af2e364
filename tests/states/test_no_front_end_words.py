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


# The errors whose words reach a person (the CLI prints them, a page shows them).
WORDED_ERRORS = {
    "ActionRefused",
    "InvalidMove",
    "NotFound",
    "ConfigError",
    "StorageFailed",
    "KiemdiemError",
}


def _sentence(node: ast.expr) -> bool:
    """A string written in the source as it stands: a literal, an f-string, a sum of them or
    a literal's .format() — English that no catalog translates."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp):
        return _sentence(node.left) or _sentence(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "join") and _sentence(node.func.value)
    return False


def _untranslated(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name in WORDED_ERRORS:
            found += [
                f"{path.relative_to(root)}:{node.lineno}: {name}({ast.unparse(arg)[:60]})"
                for arg in node.args
                if _sentence(arg)
            ]
    return found


@pytest.mark.parametrize("layer", ["states", "models"])
def test_refusals_and_errors_are_given_codes_or_translated_words(layer: str) -> None:
    """ActionRefused and NotFound get Refusal objects (a code and fields, worded by the
    front end); a ConfigError or StorageFailed gets its sentence through the catalog."""
    found = [
        problem
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "migrations" not in path.parts
        for problem in _untranslated(path)
    ]
    assert found == []


def test_the_untranslated_check_finds_what_it_is_for(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        'raise ActionRefused(f"{unit}: no")\n'
        'raise NotFound("no " + code)\n'
        'raise ConfigError("{x} is wrong".format(x=1))\n'
        'raise ActionRefused(Refusal("code"), NOTHING_CHANGED)\n'
        'raise ConfigError(_("{x} is wrong").format(x=1))\n',
        encoding="utf-8",
    )
    assert [f.split(": ", 1)[1] for f in _untranslated(probe, tmp_path)] == [
        "ActionRefused(f'{unit}: no')",
        "NotFound('no ' + code)",
        "ConfigError('{x} is wrong'.format(x=1))",
    ]
