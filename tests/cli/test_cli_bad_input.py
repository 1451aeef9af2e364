"""The command line prints what people wrote as text, and refuses clock values it cannot use."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kiemdiem.cli import app, main
from models import get_engine, load_settings, session_scope
from states import launch, load_plan
from tests.factories import write_district, write_plan
from tests.states.helpers import local

runner = CliRunner()
TRAPS = "xem lại [/x] mục [bold]2[/bold] :smile: [link=http://x]y[/link] \\[/]"


def _district(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    assert runner.invoke(app, ["org", "import", *map(str, write_district(tmp_path))]).exit_code == 0
    with session_scope(get_engine()) as session:
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path)),
            now=local("2026-11-10 08:00"),
            settings=load_settings(),
        )


def test_a_suggestion_with_markup_is_shown_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _district(tmp_path, monkeypatch)
    now = ["--now", "2026-11-10T09:00:00+07:00"]
    wrote = runner.invoke(
        app, ["unit", "suggest", "TT-2026", "M:A3", "--as", "B4", "--text", TRAPS, *now]
    )
    assert wrote.exit_code == 0, wrote.output
    shown = runner.invoke(app, ["unit", "show", "TT-2026", "M:A3", *now])
    assert shown.exit_code == 0, shown.output
    assert TRAPS in shown.output.replace("\n", "")
    form = runner.invoke(app, [*now, "unit", "form", "TT-2026", "M:A3"])
    assert form.exit_code == 0 and "[/x]" in form.output


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["kiemdiem", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    return int(exited.value.code or 0)


def test_an_error_naming_a_path_with_markup_prints_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    folder = tmp_path / "[bold]x[red]"
    folder.mkdir()
    assert _main(monkeypatch, "org", "import", str(folder), str(folder)) == 1
    assert f"{folder}: is a directory, not a CSV file" in capsys.readouterr().err


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+07:00", "9999-12-31T23:00:00-05:00", "1900-01-01T00:00:00+00:00"],
)
def test_a_clock_value_out_of_range_is_refused_with_a_message(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    assert _main(monkeypatch, "--now", value, "cycle", "status", "TT-2026") == 1
    err = capsys.readouterr().err
    assert f"--now: {value!r} is out of range; the clock runs from 2000 to 2199" in err
    assert "Traceback" not in err
    monkeypatch.setenv("KIEMDIEM_NOW", value)
    assert _main(monkeypatch, "cycle", "status", "TT-2026") == 1
    assert "is out of range" in capsys.readouterr().err


def test_a_remedy_due_date_out_of_range_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _district(tmp_path, monkeypatch)
    done = runner.invoke(
        app,
        ["remediation", "assign", "TT-2026", "O:C1", "1", "--owner", "A1", "--as", "A2"]
        + ["--due", "9999-12-31", "--now", "2026-12-20T09:00:00+07:00"],
    )
    assert done.exit_code == 1
    assert "9999-12-31 is out of range; give a date from 2000 to 2199" in str(done.exception)


def test_a_reimport_during_a_cycle_lists_its_changes_and_needs_confirm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.factories import MEMBERS, ORGS, member

    _district(tmp_path, monkeypatch)
    files = [str(p) for p in write_district(tmp_path, ORGS, [*MEMBERS, member("N1", "C1")])]
    now = ["--now", "2026-11-12T09:00:00+07:00"]
    refused = runner.invoke(app, ["org", "import", *files, *now])
    assert refused.exit_code == 1
    assert "M:N1: cycle TT-2026 is running and has no such unit" in str(refused.exception)
    assert "import again, confirming them, to apply them. (--confirm)" in str(refused.exception)
    confirmed = runner.invoke(app, ["org", "import", *files, "--confirm", *now])
    assert confirmed.exit_code == 0, confirmed.output
    assert "M:N1: cycle TT-2026" in confirmed.output and "members: 1 new" in confirmed.output
    shown = runner.invoke(app, ["unit", "show", "TT-2026", "M:N1", *now])
    assert shown.exit_code == 0 and "M:N1 (member): plan issued" in shown.output


def test_no_command_puts_rich_markup_in_what_it_prints() -> None:
    """The consoles read no markup (a person's "[/x]" prints as written), so a style must be
    given as `style=` or rich.text.Text: markup written into a string would print literally."""
    import re

    cli = Path(__file__).resolve().parents[2] / "kiemdiem" / "cli"
    styles = "bold|italic|dim|red|green|yellow|blue|cyan|magenta|link"
    tag = re.compile(rf"\[/(?:{styles})?\]|\[(?:{styles})\b[^\]]*\]")
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(cli.glob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if tag.search(line)
    ]
    assert found == []
    # rich's escape() would print its backslashes: the consoles read no markup to escape.
    escaping = [p.name for p in cli.glob("*.py") if "rich.markup" in p.read_text(encoding="utf-8")]
    assert escaping == []


def test_main_holds_the_collector_only_while_the_command_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`main` holds the cyclic collector through start-up (bench/cli_status.py): a
    database command has it back from its transaction on, and every command at its end."""
    import gc

    from kiemdiem.cli import _common

    seen: list[bool] = []
    opened = _common.transaction

    def watched() -> Any:
        with opened() as session:
            seen.append(gc.isenabled())
            yield session

    monkeypatch.setattr(_common, "transaction", contextmanager(watched))
    monkeypatch.setattr("kiemdiem.cli.cycle.transaction", _common.transaction)
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    assert gc.isenabled()
    assert _main(monkeypatch, "cycle", "list") == 0
    assert seen == [True] and gc.isenabled()
    assert _main(monkeypatch, "cycle", "status") == 2  # refused before any transaction
    assert gc.isenabled()
    gc.unfreeze()  # what the command froze is the test session's: collected as before
