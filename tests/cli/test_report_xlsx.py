"""`kiemdiem report CODE --xlsx FILE`: the workbook as Excel reads it, opened with openpyxl."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from kiemdiem.cli.report import report_command
from kiemdiem.report_xlsx import sheet_names, write_report
from models import Cycle, Level, get_engine, init_db, load_settings, session_scope
from models.org_import import import_organizations
from states import return_for_review
from states.report import cycle_report
from tests.factories import write_district
from tests.states.helpers import act, launch_cycle, local, place, tick
from vocabulary import names, translations, use_language

runner = CliRunner()
NOW = "2026-11-22T08:00:00+07:00"

# The lead registers the command on the root app as `kiemdiem report`; here it stands alone.
app = typer.Typer()
app.command("report")(report_command)


@app.callback()
def _root() -> None:
    """A callback keeps `report` a subcommand, as it is on the root app."""


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", url)
    engine = get_engine(url)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch = local("2026-11-10 08:00")
    launch_cycle(engine, tmp_path, launch)
    tick(engine, launch)
    for code, level in {
        "M:A1": Level.EXCELLENT,
        "M:A2": Level.EXCELLENT,
        "M:A3": Level.GOOD,
    }.items():
        place(engine, code, "published", final_level=level)
    place(engine, "L:E1", "approval", proposed_level=Level.GOOD, score=80)
    act(
        engine,
        return_for_review,
        unit_codes=["L:E1"],
        actor_code="B2",
        now=local("2026-11-12 09:00"),
        reason="Bản kiểm điểm còn qua loa, hình thức.",
        settings=load_settings(),
    )


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_workbook_has_vietnamese_sheets_headers_and_numbers(
    database: None, tmp_path: Path
) -> None:
    path = tmp_path / "bao-cao.xlsx"
    result = runner.invoke(app, ["report", "TT-2026", "--xlsx", str(path), "--now", NOW])
    assert result.exit_code == 0, result.output
    # The command speaks Vietnamese by default, as the workbook does.
    assert f"đã ghi báo cáo đợt TT-2026 vào {path}" in result.output
    assert "đối tượng 24, đã xếp loại 3" in result.output
    assert "nhóm vượt tỷ lệ xuất sắc 1/" in result.output
    # G1's units not rated yet are late for the pilots' 20 Nov self-review; L:E1 for its redo.
    assert "quá hạn 6; trả lại 1; hạn chế chưa khắc phục 0" in result.output

    book = load_workbook(path)
    assert book.sheetnames == sheet_names()
    assert book.sheetnames[0] == "Tổng quan"
    for name in book.sheetnames:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\")
        sheet = book[name]
        assert "Kế hoạch số 131-KH/HU" in sheet["A1"].value and "22/11/2026" in sheet["A1"].value
        assert sheet.freeze_panes == "A4"
        assert all(cell.font.bold for cell in sheet[3] if cell.value)

    orgs = _rows(book["Tổng hợp theo tổ chức"])
    assert orgs[2] == [
        "Mã",
        "Tên tổ chức",
        "Cấp",
        "Đối tượng",
        "Hoàn thành xuất sắc nhiệm vụ",
        "Hoàn thành tốt nhiệm vụ",
        "Hoàn thành nhiệm vụ",
        "Không hoàn thành nhiệm vụ",
        "Chưa xếp loại",
        "Tổng số",
    ]
    c1_members = next(r for r in orgs if r[0] == "C1" and r[3] == "Đảng viên")
    assert c1_members == ["C1", "Chi bộ thôn 1", "Chi bộ", "Đảng viên", 2, 1, 0, 0, 0, 3]
    assert orgs[-1] == [None, "Toàn đợt", None, "Tổng cộng", 2, 1, 0, 0, 21, 24]

    groups = _rows(book["Theo nhóm so sánh"])
    assert groups[2][-2:] == ["Tối đa được xuất sắc", "Kết quả kiểm tra tỷ lệ"]
    g1 = next(r for r in groups if r[0] == "Đảng viên" and r[1] == "G1")
    assert g1[3:5] == [2, 1] and g1[-2:] == [0, "Vượt"]
    g2 = next(r for r in groups if r[0] == "Đảng viên" and r[1] == "G2")
    assert g2[-2:] == [0, "Đạt"]  # nothing rated there yet

    overdue = book["Quá hạn"]
    assert _rows(overdue)[2] == ["Mã", "Tên", "Tổ chức đảng", "Bước", "Thời hạn", "Quá hạn (ngày)"]
    assert [c.value for c in overdue[4]] == [
        "L:E1",
        "Nguyễn Văn E1",
        "Chi bộ thôn 3",
        "Kiểm điểm lại",
        datetime(2026, 11, 19),
        3,
    ]
    assert overdue["E4"].number_format == "DD/MM/YYYY"

    returned = _rows(book["Trả lại kiểm điểm"])
    assert "Lý do" in returned[2]
    assert returned[3][3:6] == [
        "Bản kiểm điểm còn qua loa, hình thức.",
        "Nguyễn Văn B2 (B2)",
        datetime(2026, 11, 12, 9, 0),  # Hanoi wall-clock time
    ]

    summary = _rows(book["Tổng quan"])
    facts = {r[0]: r[1] for r in summary if r[0]}
    assert facts["Số nhóm vượt tỷ lệ"] == 1
    assert facts["Số đơn vị quá hạn"] == 6
    assert facts["Ngày lập báo cáo"] == datetime(2026, 11, 22)
    assert facts["Tỷ lệ xuất sắc tối đa so với số hoàn thành tốt"] == 0.2


@pytest.mark.parametrize(
    ("target", "message"),
    [("missing/bao-cao.xlsx", "không tồn tại"), ("bao-cao.csv", "phải kết thúc bằng .xlsx")],
)
def test_a_file_that_cannot_be_written_is_refused(
    database: None, tmp_path: Path, target: str, message: str
) -> None:
    path = tmp_path / target
    result = runner.invoke(app, ["report", "TT-2026", "--xlsx", str(path), "--now", NOW])
    assert result.exit_code == 2
    # Typer draws the error in a box, wrapped: read it as one line of words.
    assert message in " ".join(result.output.replace("│", " ").split())
    assert not path.exists()


def test_a_rule_set_without_a_cap_says_so(database: None, tmp_path: Path) -> None:
    with session_scope(get_engine()) as session:
        report = cycle_report(session, "TT-2026", local("2026-11-22 08:00"))
    path = tmp_path / "no-cap.xlsx"
    write_report(replace(report, share_of_good=None, groups=[]), path)
    book = load_workbook(path)
    facts = {r[0]: r[1] for r in _rows(book["Tổng quan"]) if r[0]}
    assert facts["Tỷ lệ xuất sắc tối đa so với số hoàn thành tốt"] == "Không giới hạn"
    assert facts["Số nhóm so sánh"] == 0
    groups = book["Theo nhóm so sánh"]
    assert "không giới hạn tỷ lệ xuất sắc" in groups["A2"].value
    assert groups.max_row == 3 and groups.auto_filter.ref is None  # headers, no rows


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path: Path, start: str) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    engine = get_engine(url)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch = local("2026-11-10 08:00")
    launch_cycle(engine, tmp_path, launch, title=f'{start}HYPERLINK("http://x.example","bấm")')
    with session_scope(engine) as session:  # a title stored before texts were checked
        cycle = session.exec(select(Cycle)).one()
        cycle.title += " \x07chuông"
        session.add(cycle)
    place(engine, "L:E1", "approval", proposed_level=Level.GOOD, score=80)
    reason = f"{start}cmd|' /C calc'!A0 đỏ"
    act(
        engine,
        return_for_review,
        unit_codes=["L:E1"],
        actor_code="B2",
        now=local("2026-11-12 09:00"),
        reason=reason,
        settings=load_settings(),
    )
    with session_scope(engine) as session:
        report = cycle_report(session, "TT-2026", local("2026-11-22 08:00"))
    path = tmp_path / "bao-cao.xlsx"
    write_report(report, path)
    book = load_workbook(path)
    cell = book["Trả lại kiểm điểm"]["D4"]
    assert cell.data_type == "s" and cell.quotePrefix
    assert cell.value == f"{start}cmd|' /C calc'!A0 đỏ"
    title = book["Tổng quan"]["A1"]
    assert title.data_type == "s" and title.value.startswith(f"{start}HYPERLINK(")
    assert '"bấm") \ufffdchuông' in title.value
    for sheet in book.worksheets:  # no formula anywhere in the workbook
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".part"] == []


def _in_vietnamese(header: str) -> str:
    """The catalog's Vietnamese of a header: a msgid, or a name capitalized for its cell."""
    vi = translations("vi")
    found = vi.gettext(header)
    if found == header:
        found = names.capitalized(vi.gettext(header[:1].lower() + header[1:]))
    return found


def test_the_workbook_follows_the_language_every_header_from_the_catalog(
    database: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same report in English and in Vietnamese: sheet by sheet, every sheet name and
    header of the Vietnamese workbook is the catalog's Vietnamese of the English one, and the
    English workbook has no Vietnamese word in them; states and levels come from the one table."""
    books = {}
    for lang in ("en", "vi"):
        monkeypatch.setenv("KIEMDIEM_LANG", lang)
        path = tmp_path / f"report-{lang}.xlsx"
        result = runner.invoke(app, ["report", "TT-2026", "--xlsx", str(path), "--now", NOW])
        assert result.exit_code == 0, result.output
        books[lang] = load_workbook(path)
    vi = translations("vi")
    assert len(books["en"].sheetnames) == len(books["vi"].sheetnames)
    for en_name, vi_name in zip(books["en"].sheetnames, books["vi"].sheetnames, strict=True):
        assert vi.gettext(en_name) == vi_name and en_name != vi_name
        assert len(en_name) <= 31 and en_name.isascii()
        en_headers = [c.value for c in books["en"][en_name][3] if c.value]
        vi_headers = [c.value for c in books["vi"][vi_name][3] if c.value]
        assert [_in_vietnamese(h) for h in en_headers] == vi_headers
        assert all(h.replace("–", "-").isascii() for h in en_headers), en_headers
    with use_language("en"):
        assert names.LEVELS["excellent"] in [c.value for c in books["en"]["Summary"][3]]
        returned_state = names.capitalized(names.STATES["returned"])
    assert [r[-1] for r in _rows(books["en"]["Returned for re-review"])][3] == returned_state
