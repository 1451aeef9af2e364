"""click's usage errors through the real entry point, in Vietnamese by default and in English
on request: a missing argument, an unknown option, a bad choice, a bad number, a command that
does not exist; no English word of click's left in the Vietnamese."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from kiemdiem.cli import app

runner = CliRunner()

# click's and typer's own English, as they write it: none may reach a Vietnamese reader.
CLICK_ENGLISH = (
    "Missing",
    "No such",
    "Invalid value",
    "Usage",
    "Try ",
    "Error",
    "OPTIONS",
    "COMMAND",
    "Did you mean",
    "Possible options",
    "is not one of",
    "valid integer",
    "Input should",
    "greater than",
    "requires",
    "argument",
    "Value error",
)

CASES = {
    "missing argument": (
        ["cycle", "status"],
        "Thiếu tham số ĐỢT.",
        "Missing argument CYCLE.",
    ),
    "unknown option": (
        ["cycle", "status", "TT-2026", "--jsn"],
        "Không có tùy chọn --jsn. Có phải đồng chí định gõ --json, --now?",
        "No such option: --jsn. Did you mean --json, --now?",
    ),
    "bad choice": (
        ["remediation", "list", "TT-2026", "--status", "nope"],
        "Giá trị không hợp lệ cho --status: 'nope' không thuộc các giá trị open, in_progress,",
        "Invalid value for --status: 'nope' is not one of open, in_progress, remedied,",
    ),
    "bad number": (
        ["serve", "--port", "abc"],
        "Giá trị không hợp lệ cho --port: 'abc' không phải là số nguyên.",
        "Invalid value for --port: 'abc' is not a whole number.",
    ),
    "number too small": (
        ["demo", "--members", "2"],
        "Giá trị không hợp lệ cho --members: '2' nhỏ hơn 5, mức nhỏ nhất được phép.",
        "Invalid value for --members: '2' is less than 5, the smallest allowed.",
    ),
    "option without its value": (
        ["diagram", "--kind"],
        "Tùy chọn --kind cần 1 giá trị.",
        "Option --kind needs a value.",
    ),
    "unknown command": (
        ["cycle", "statu"],
        "Không có lệnh statu. Có phải đồng chí định gõ 'status'?",
        "No such command: statu. Did you mean 'status'?",
    ),
}


def _flat(text: str) -> str:
    """The panel's text without its frame, on one line."""
    lines = [line.strip("│╭╮╰╯─ ") for line in text.splitlines()]
    return " ".join(line for line in lines if line)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_usage_errors_in_vietnamese_and_english(
    case: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    args, vi, en = CASES[case]
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path}/k.db")
    monkeypatch.setenv("KIEMDIEM_LANG", "vi")
    said = runner.invoke(app, args, terminal_width=200)
    assert said.exit_code == 2, said.output
    assert vi in _flat(said.output), said.output
    assert "Lỗi" in said.output
    assert [w for w in CLICK_ENGLISH if w in said.output] == [], said.output
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    said = runner.invoke(app, args, terminal_width=200)
    assert said.exit_code == 2, said.output
    assert en in _flat(said.output), said.output
    assert "Error" in said.output


def test_the_usage_line_and_help_hint_are_worded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "vi")
    said = runner.invoke(app, ["cycle", "status"], terminal_width=200, prog_name="kiemdiem").output
    assert "Cách dùng: kiemdiem cycle status [TÙY CHỌN] {ĐỢT}" in said
    assert "Xem hướng dẫn: 'kiemdiem cycle status --help'." in said
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    said = runner.invoke(
        app, ["cycle", "frobnicate"], terminal_width=200, prog_name="kiemdiem"
    ).output
    assert "Usage: kiemdiem cycle [OPTIONS] COMMAND [ARGS]..." in said


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_installed_command_words_them_too(lang: str, tmp_path: object) -> None:
    """The console script itself (not CliRunner): stderr carries the worded error, exit 2."""
    done = subprocess.run(
        [sys.executable, "-c", "from kiemdiem.cli import main; main()", "unit", "vote"],
        capture_output=True,
        text=True,
        env={"KIEMDIEM_LANG": lang, "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    expected = "Thiếu tham số ĐỢT." if lang == "vi" else "Missing argument CYCLE."
    assert expected in done.stderr, done.stderr
