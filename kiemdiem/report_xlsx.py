"""The cycle report as an Excel workbook with Vietnamese sheet names and headers."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kiemdiem import report_insights
from models.cycle import Level, UnitKind
from models.errors import StorageFailed
from models.remediation import RemediationStatus
from states.report import CycleReport, LevelCounts, OrgCounts
from vocabulary import _, names, use_language
from vocabulary.names import capitalized

SUMMARY = "Tổng quan"
BY_ORGANIZATION = "Tổng hợp theo tổ chức"
BY_GRASSROOTS = "Tổng hợp theo đảng bộ cơ sở"
BY_GROUP = "Theo nhóm so sánh"
OVERDUE = "Quá hạn"
RETURNED = "Trả lại kiểm điểm"
REMEDIATION = "Khắc phục hạn chế"
REMEDIATION_BY_ORG = "Khắc phục theo tổ chức"
SHEETS = (
    SUMMARY,
    BY_ORGANIZATION,
    BY_GRASSROOTS,
    BY_GROUP,
    OVERDUE,
    RETURNED,
    REMEDIATION,
    REMEDIATION_BY_ORG,
    *report_insights.SHEETS,
)

TOTAL = "Tổng số"
_STATUSES = [RemediationStatus(s) for s in names.REMEDIATION_STATUSES]
WITHIN, OVER = "Đạt", "Vượt"

HEADER_ROW = 3
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_OVER = Font(bold=True, color="C00000")


def _count_headers() -> list[str]:
    return [*names.LEVELS.values(), _(names.UNDECIDED), TOTAL]


def _counts(counts: LevelCounts) -> list[int]:
    return [
        *(counts.by_level[Level(level)] for level in names.LEVELS),
        counts.undecided,
        counts.total,
    ]


def _kind(kind: str) -> str:
    return capitalized(names.KINDS.name(kind))


# A value Excel would read as a formula if anyone re-entered or exported it (=, +, -, @):
# stored as text with Excel's quote prefix, never as a formula.
_FORMULA_START = ("=", "+", "-", "@")
# Excel keeps at most this many characters in a cell.
_CELL_LIMIT = 32767


def _put(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write one value: text as text, whatever it holds."""
    if not isinstance(value, str):
        return ws.cell(row, column, value)
    # Characters the file format cannot hold (C0 controls) would make openpyxl refuse the
    # whole report: each is shown as U+FFFD instead, the rest of the text kept.
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if len(text) > _CELL_LIMIT:
        text = text[: _CELL_LIMIT - 1] + "…"
    cell = ws.cell(row, column)
    cell.value = text
    if text.startswith(_FORMULA_START):
        cell.data_type = "s"  # openpyxl makes "=…" a formula
        cell.quotePrefix = True
    return cell


def _sheet(
    workbook: Any,
    report: CycleReport,
    name: str,
    heading: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> Any:
    """A sheet: the title row, a heading, bold frozen headers, then one row per item."""
    ws = workbook.create_sheet(name)
    title = f"{report.title} ({report.document}), ngày {report.today:%d/%m/%Y}"
    _put(ws, 1, 1, title).font = Font(bold=True, size=13)
    _put(ws, 2, 1, f"{heading} — {report.launched_by}").font = Font(italic=True)
    for c, header in enumerate(headers, start=1):
        cell = _put(ws, HEADER_ROW, c, header)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.row_dimensions[HEADER_ROW].height = 45
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        for c, value in enumerate(row, start=1):
            cell = _put(ws, r, c, None if value == "" else value)
            if isinstance(value, datetime):
                cell.number_format = "DD/MM/YYYY HH:MM"
            elif isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
    ws.freeze_panes = f"A{HEADER_ROW + 1}"  # a string: a cell would add an empty row
    if ws.max_row > HEADER_ROW:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(headers))}{ws.max_row}"
    for c, header in enumerate(headers, start=1):
        longest = max(
            (len(_shown(ws.cell(r, c).value)) for r in range(HEADER_ROW + 1, ws.max_row + 1)),
            default=0,
        )
        # Long headers wrap; the data decides the width, within reason.
        width = max(longest, min(len(header), 16), 8) + 2
        ws.column_dimensions[get_column_letter(c)].width = min(width, 60)
    return ws


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        return "00/00/0000 00:00"
    if isinstance(value, date):
        return "00/00/0000"
    return "" if value is None else str(value)


def _bold_row(ws: Any, row: int) -> None:
    for cell in ws[row]:
        cell.font = _BOLD


def _org_rows(orgs: Sequence[OrgCounts], totals: OrgCounts) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for org in orgs:
        for kind, counts in sorted(org.kinds.items(), key=lambda kv: list(UnitKind).index(kv[0])):
            level = capitalized(names.ORG_LEVELS.name(org.level))
            rows.append([org.code, org.name, level, _kind(kind), *_counts(counts)])
    for kind, counts in sorted(totals.kinds.items(), key=lambda kv: list(UnitKind).index(kv[0])):
        rows.append(["", "Toàn đợt", "", _kind(kind), *_counts(counts)])
    rows.append(["", "Toàn đợt", "", "Tổng cộng", *_counts(totals.all_kinds)])
    return rows


def _organizations(workbook: Any, report: CycleReport, name: str, orgs: list[OrgCounts]) -> None:
    rows = _org_rows(orgs, report.totals)
    heading = (
        "Kết quả xếp loại theo tổ chức (đơn vị của chính tổ chức; đảng viên tính ở chi bộ)"
        if name == BY_ORGANIZATION
        else "Kết quả xếp loại cộng theo đảng bộ cơ sở (gồm các chi bộ trực thuộc)"
    )
    headers = ["Mã", "Tên tổ chức", "Cấp", "Đối tượng", *_count_headers()]
    ws = _sheet(workbook, report, name, heading, headers, rows)
    totals_from = HEADER_ROW + 1 + len(rows) - len(report.totals.kinds) - 1
    for r in range(totals_from, HEADER_ROW + len(rows) + 1):
        _bold_row(ws, r)


def _summary(workbook: Any, report: CycleReport) -> None:
    kinds = sorted(report.totals.kinds.items(), key=lambda kv: list(UnitKind).index(kv[0]))
    rows: list[list[Any]] = [[_kind(kind), *_counts(counts)] for kind, counts in kinds]
    rows.append(["Tổng cộng", *_counts(report.totals.all_kinds)])
    share = report.share_of_good
    facts: list[list[Any]] = [
        [],
        ["Ngày lập báo cáo", report.today],
        ["Quy định áp dụng", report.rule_set],
        [
            "Tỷ lệ xuất sắc tối đa so với số hoàn thành tốt",
            share if share is not None else "Không giới hạn",
        ],
        ["Số nhóm so sánh", len(report.groups)],
        ["Số nhóm vượt tỷ lệ", len(report.over_cap)],
        [
            "Nhóm vượt tỷ lệ",
            "; ".join(f"{_kind(g.kind)} — {g.name} ({g.code})" for g in report.over_cap) or "—",
        ],
        ["Số đơn vị quá hạn", len(report.overdue)],
        ["Số lượt trả lại kiểm điểm", len(report.returned)],
        ["Số hạn chế chưa khắc phục", report.open_shortcomings],
    ]
    ws = _sheet(
        workbook,
        report,
        SUMMARY,
        "Tổng quan kết quả xếp loại",
        ["Đối tượng", *_count_headers()],
        [*rows, *facts],
    )
    _bold_row(ws, HEADER_ROW + len(rows))
    first_fact = HEADER_ROW + len(rows) + 2
    for r in range(first_fact, first_fact + len(facts) - 1):
        ws.cell(r, 1).font = _BOLD
    if share is not None:
        ws.cell(first_fact + 2, 2).number_format = "0%"
    if report.over_cap:
        ws.cell(first_fact + 4, 2).font = _OVER
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 20


def _groups(workbook: Any, report: CycleReport) -> None:
    headers = [
        "Đối tượng",
        "Mã",
        "Tên tổ chức",
        *_count_headers(),
        "Tối đa được xuất sắc",
        "Kết quả kiểm tra tỷ lệ",
    ]
    rows = [
        [
            _kind(g.kind),
            g.code,
            g.name,
            *_counts(g.counts),
            g.check.allowed,
            WITHIN if g.check.within else OVER,
        ]
        for g in report.groups
    ]
    heading = (
        f"Số xuất sắc tối đa = {report.share_of_good:.0%} số hoàn thành tốt, trong mỗi nhóm"
        if report.share_of_good is not None
        else "Quy định áp dụng không giới hạn tỷ lệ xuất sắc"
    )
    ws = _sheet(workbook, report, BY_GROUP, heading, headers, rows)
    for r, g in enumerate(report.groups, start=HEADER_ROW + 1):
        if not g.check.within:
            ws.cell(r, len(headers)).font = _OVER


def write_report(report: CycleReport, path: Path) -> None:
    """Write the report to `path` as an .xlsx workbook, one sheet per part. The workbook is
    the district office's paper, in Vietnamese whatever the command's language."""
    with use_language("vi"):
        _write_report(report, path)


def _write_report(report: CycleReport, path: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    _summary(workbook, report)
    _organizations(workbook, report, BY_ORGANIZATION, report.organizations)
    _organizations(workbook, report, BY_GRASSROOTS, report.grassroots)
    _groups(workbook, report)
    _sheet(
        workbook,
        report,
        OVERDUE,
        "Đơn vị quá hạn ở bước đang thực hiện",
        ["Mã", "Tên", "Tổ chức", "Bước", "Hạn", "Số ngày quá hạn"],
        (
            [
                o.code,
                o.name,
                o.organization,
                capitalized(names.STAGES.name(o.stage)),
                o.due,
                o.days_late,
            ]
            for o in report.overdue
        ),
    )
    zone = ZoneInfo(report.timezone)
    _sheet(
        workbook,
        report,
        RETURNED,
        "Bản kiểm điểm cấp trên trả lại để kiểm điểm lại",
        [
            "Mã",
            "Tên",
            "Tổ chức",
            "Lý do",
            "Người trả lại",
            "Thời điểm trả lại",
            "Trạng thái hiện nay",
        ],
        (
            [
                r.code,
                r.name,
                r.organization,
                r.reason,
                r.returned_by,
                # Excel has no time zones: the local wall-clock time of the report's clock.
                r.at.astimezone(zone).replace(tzinfo=None),
                capitalized(names.STATES.name(r.state)),
            ]
            for r in report.returned
        ),
    )
    _sheet(
        workbook,
        report,
        REMEDIATION,
        "Hạn chế, khuyết điểm và việc khắc phục",
        [
            "Mã",
            "Tên",
            "Tổ chức",
            "Hạn chế, khuyết điểm",
            "Người chịu trách nhiệm",
            "Hạn",
            "Tình trạng",
        ],
        (
            [
                i.unit_code,
                i.unit_name,
                i.organization,
                i.text,
                i.owner,
                i.due,
                capitalized(names.REMEDIATION_STATUSES.name(i.status)),
            ]
            for i in report.remediation_items
        ),
    )
    totals = report.remediation_totals
    by_org = [
        [r.code, r.name, *(r.by_status[s] for s in _STATUSES), sum(r.by_status.values())]
        for r in report.remediation
    ]
    by_org.append(["", "Toàn đợt", *(totals.get(s, 0) for s in _STATUSES), sum(totals.values())])
    ws = _sheet(
        workbook,
        report,
        REMEDIATION_BY_ORG,
        "Số hạn chế, khuyết điểm theo tình trạng khắc phục",
        [
            "Mã",
            "Tên tổ chức",
            *(capitalized(v) for v in names.REMEDIATION_STATUSES.values()),
            TOTAL,
        ],
        by_org,
    )
    _bold_row(ws, HEADER_ROW + len(by_org))
    if report.insights is not None:
        headings = {
            report_insights.FORMALISM: "Dấu hiệu để cấp trên xem xét (không phải kết luận)",
            report_insights.FORECAST: "Dự báo tiến độ theo tổ chức và bước",
            report_insights.POSITIONS: "Xếp loại theo nhóm chức danh tương đương toàn huyện",
        }
        for name, (headers, rows) in report_insights.rows(report.insights).items():
            report_insights.as_text(_sheet(workbook, report, name, headings[name], headers, rows))
    _save(workbook, path)


def _save(workbook: Any, path: Path) -> None:
    """Write the workbook beside `path` and move it into place: a reader never sees half a
    report, and a failed write (a full disk) leaves the file that was there untouched."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            workbook.save(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageFailed(
            _("cannot write the report to {path}: {error}; nothing was written").format(
                path=path, error=exc.strerror or exc
            )
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
