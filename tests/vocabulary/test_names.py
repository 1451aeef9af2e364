"""One name per thing: the mail, the CLI and the workbook read a level's name from
vocabulary.names, so they cannot disagree; dates read dd/mm/yyyy in Hanoi time."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kiemdiem.cli import app
from kiemdiem.report_xlsx import write_report
from models import Level, get_engine, init_db, session_scope
from models.org_import import import_organizations
from notifications.render import render
from states.machine import COLLECTIVE, INDIVIDUAL, UnitState
from states.report import cycle_report
from tests.factories import write_district
from tests.states.helpers import launch_cycle, local, place, tick
from vocabulary import dates, names, use_language

CONTEXTS = Path(__file__).parents[1] / "notifications" / "contexts"
runner = CliRunner()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("vi", "Hoàn thành xuất sắc nhiệm vụ"), ("en", "Excellently completed duties")],
)
def test_the_same_level_name_in_mail_cli_and_workbook(
    lang: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", lang)
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", url)
    engine = get_engine(url)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch_cycle(engine, tmp_path, local("2026-11-10 08:00"))
    tick(engine, local("2026-11-10 08:00"))
    place(engine, "M:A1", "published", final_level=Level.EXCELLENT)

    with use_language(lang):
        name = names.LEVELS[Level.EXCELLENT]
    assert name == expected

    context = json.loads((CONTEXTS / "published.json").read_text())
    context["results"][0]["level"] = "excellent"
    mail = render(
        "published",
        {
            "recipient_name": "X",
            "cycle": {"code": "TT-2026", "title": "t", "document": "d"},
            "link": "l",
            **context,
        },
        lang=lang,
    )
    assert name in mail.text and name in mail.html

    shown = runner.invoke(app, ["unit", "results", "TT-2026", "--as", "A1"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert name in shown.output

    # The workbook, in the command's language, from the same table.
    with session_scope(engine) as session:
        report = cycle_report(session, "TT-2026", now=local("2026-11-22 08:00"))
    write_report(report, tmp_path / "r.xlsx")
    summary = load_workbook(tmp_path / "r.xlsx").worksheets[0]
    assert name in [c.value for c in summary[3]]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_dates_are_day_month_year_in_hanoi_never_utc(lang: str) -> None:
    late_evening_utc = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)  # 01:30 on 1 Dec in Hanoi
    with use_language(lang):
        assert dates.day(late_evening_utc) == "01/12/2026"
        assert dates.moment(late_evening_utc) == "01/12/2026 01:30"
        assert dates.moment(late_evening_utc.replace(tzinfo=None)) == "01/12/2026 01:30"
        assert dates.day(date(2026, 3, 9)) == "09/03/2026"


def test_an_unknown_value_names_itself() -> None:
    assert names.STATES.name("elsewhere") == "elsewhere" and names.LEVELS.name(None) == ""
    assert names.capitalized("tự kiểm điểm") == "Tự kiểm điểm"


def test_every_move_and_state_of_the_machines_has_a_name() -> None:
    """A refusal names the action and the states by these tables: a move or a state added
    to the machines without a name would reach a Vietnamese reader as its stored value."""
    moves = {m.trigger for machine in (INDIVIDUAL, COLLECTIVE) for m in machine.moves}
    assert moves <= set(names.ACTIONS)
    assert {s.value for s in UnitState} <= set(names.STATES)
