"""`kiemdiem cycle insights` and the workbook's insight sheets, on a real SQLite file."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from kiemdiem.cli import app
from kiemdiem.demo.writing import copied_review, honest_review
from kiemdiem.report_insights import FORECAST, FORMALISM, POSITIONS, as_text
from models import get_engine
from states import submit_self_review
from tests.factories import MEMBER_HEADER, ORGS, write_csv
from tests.states.helpers import act, launch_cycle, local, review_form, tick
from tests.states.test_insights import MEMBERS
from vocabulary import _

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    orgs = write_csv(tmp_path / "organizations.csv", list(ORGS[0]), ORGS)
    members = write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "position_group"], MEMBERS)
    assert runner.invoke(app, ["org", "import", str(orgs), str(members)]).exit_code == 0
    engine = get_engine()
    launch_cycle(engine, tmp_path, local("2026-11-10 08:00"))
    tick(engine, local("2026-11-11 08:00"))
    rng = random.Random(5)
    source = honest_review(rng)
    # A formula someone typed stays text in the workbook.
    strengths = '=HYPERLINK("http://x.invalid","xem") ' + source.strengths
    for code, review in (("A3", source), ("A5", copied_review(rng, source, 0.1))):
        act(
            engine,
            submit_self_review,
            unit_code=f"M:{code}",
            actor_code=code,
            now=local("2026-11-11 09:00"),
            **review_form(
                criteria=dict.fromkeys(review_form()["criteria"], review.criteria),
                strengths=strengths if code == "A3" else review.strengths,
            ),
        )


def test_insights_json_names_organizations_and_units(database: None) -> None:
    result = runner.invoke(
        app, ["cycle", "insights", "TT-2026", "--json", "--now", "2026-11-18T08:00+07:00"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"formalism", "forecast", "comparison"}
    [copied] = [s for s in data["formalism"] if s["signal"] == "copied_self_review"]
    assert copied["organization"] == "G1" and copied["units"] == ["M:A3", "M:A5"]
    assert all({"organization", "stage", "at_risk", "warn"} <= set(r) for r in data["forecast"])
    assert data["comparison"][0]["position_group"] == "bi-thu-chi-bo"


def test_insights_table_and_workbook_sheets(database: None, tmp_path: Path) -> None:
    shown = runner.invoke(app, ["cycle", "insights", "TT-2026", "--now", "2026-11-18T08:00+07:00"])
    assert shown.exit_code == 0, shown.output
    assert "Bản tự kiểm điểm sao chép của nhau" in shown.output and "G1" in shown.output
    assert "copied_self_review" not in shown.output and "20/11/2026" in shown.output
    path = tmp_path / "r.xlsx"
    made = runner.invoke(
        app, ["report", "TT-2026", "--xlsx", str(path), "--now", "2026-11-18T08:00+07:00"]
    )
    assert made.exit_code == 0, made.output
    book = load_workbook(path)
    rows = [list(r) for r in book[_(FORMALISM)].iter_rows(min_row=4, values_only=True)]
    copied = [r for r in rows if r[0] == "Bản tự kiểm điểm sao chép của nhau"]
    assert copied and copied[0][2] == "G1" and copied[0][3] == "M:A3, M:A5"
    assert "HYPERLINK" in copied[0][4]  # both texts side by side, as written
    forecast = [list(r) for r in book[_(FORECAST)].iter_rows(min_row=4, values_only=True)]
    g1 = next(r for r in forecast if r[:2] == ["G1", "Tự kiểm điểm"])
    assert g1[3] == 2 and g1[6] == datetime(2026, 11, 20) and g1[7] == "Có" and g1[8] == "Có"
    assert book[_(POSITIONS)].cell(4, 1).value == "bi-thu-chi-bo"


def test_a_text_that_starts_like_a_formula_stays_text(tmp_path: Path) -> None:
    book = Workbook()
    book.active.cell(1, 1, '=HYPERLINK("http://x.invalid")')
    as_text(book.active)
    book.save(tmp_path / "x.xlsx")
    cell = load_workbook(tmp_path / "x.xlsx").active.cell(1, 1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_insights_tables_in_english(database: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    shown = runner.invoke(
        app,
        ["cycle", "insights", "TT-2026", "--now", "2026-11-18T08:00+07:00"],
        terminal_width=200,
    )
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert "Self-reviews copied from each other" in out and "warn" in out
    assert "20/11/2026" in out and "2026-11-20" not in out
    assert "copied_self_review" not in out and "self_review" not in out
