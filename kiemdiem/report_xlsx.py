"""The cycle report as an Excel workbook, its sheet names and headers in the command's
language (Vietnamese by default), the names of levels and states from the one vocabulary."""

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
from vocabulary import N_, _, names
from vocabulary.names import capitalized

SUMMARY = N_("Summary")
BY_ORGANIZATION = N_("By organization")
BY_GRASSROOTS = N_("By grassroots organization")
BY_GROUP = N_("By comparison group")
OVERDUE = N_("Overdue units")
RETURNED = N_("Returned for re-review")
REMEDIATION = N_("Remediation")
REMEDIATION_BY_ORG = N_("Remediation by organization")
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


def sheet_names() -> list[str]:
    """The sheets' names in the current language, in the workbook's order."""
    return [_(name) for name in SHEETS]


TOTAL = N_("Total")
_STATUSES = [RemediationStatus(s) for s in names.REMEDIATION_STATUSES]
WITHIN, OVER = N_("Within the cap"), N_("Over the cap")

HEADER_ROW = 3
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_OVER = Font(bold=True, color="C00000")


def _count_headers() -> list[str]:
    return [*names.LEVELS.values(), _(names.UNDECIDED), _(TOTAL)]


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
    ws = workbook.create_sheet(_(name))
    title = _("{title} ({document}), {day}").format(
        title=report.title, document=report.document, day=f"{report.today:%d/%m/%Y}"
    )
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
        rows.append(["", _("Whole cycle"), "", _kind(kind), *_counts(counts)])
    rows.append(["", _("Whole cycle"), "", _("Grand total"), *_counts(totals.all_kinds)])
    return rows


def _organizations(workbook: Any, report: CycleReport, name: str, orgs: list[OrgCounts]) -> None:
    rows = _org_rows(orgs, report.totals)
    heading = (
        _("Levels by organization (the organization's own units; members counted in their cell)")
        if name == BY_ORGANIZATION
        else _("Levels added up by grassroots organization (with the cells under it)")
    )
    headers = [
        _("Code"),
        _("Organization name"),
        _("Organization level"),
        _("Reviewed as"),
        *_count_headers(),
    ]
    ws = _sheet(workbook, report, name, heading, headers, rows)
    totals_from = HEADER_ROW + 1 + len(rows) - len(report.totals.kinds) - 1
    for r in range(totals_from, HEADER_ROW + len(rows) + 1):
        _bold_row(ws, r)


def _summary(workbook: Any, report: CycleReport) -> None:
    kinds = sorted(report.totals.kinds.items(), key=lambda kv: list(UnitKind).index(kv[0]))
    rows: list[list[Any]] = [[_kind(kind), *_counts(counts)] for kind, counts in kinds]
    rows.append([_("Grand total"), *_counts(report.totals.all_kinds)])
    share = report.share_of_good
    facts: list[list[Any]] = [
        [],
        [_("Report date"), report.today],
        [_("Rule set applied"), report.rule_set],
        [
            _("Most excellent, as a share of well completed"),
            share if share is not None else _("No cap"),
        ],
        [_("Comparison groups"), len(report.groups)],
        [_("Groups over the cap"), len(report.over_cap)],
        [
            _("Which groups are over the cap"),
            "; ".join(f"{_kind(g.kind)} — {g.name} ({g.code})" for g in report.over_cap) or "—",
        ],
        [_("Units overdue"), len(report.overdue)],
        [_("Reviews returned"), len(report.returned)],
        [_("Shortcomings not remedied"), report.open_shortcomings],
    ]
    ws = _sheet(
        workbook,
        report,
        SUMMARY,
        _("Summary of the levels"),
        [_("Reviewed as"), *_count_headers()],
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
        _("Reviewed as"),
        _("Code"),
        _("Organization name"),
        *_count_headers(),
        _("Most that may be excellent"),
        _("Share check"),
    ]
    rows = [
        [
            _kind(g.kind),
            g.code,
            g.name,
            *_counts(g.counts),
            g.check.allowed,
            _(WITHIN) if g.check.within else _(OVER),
        ]
        for g in report.groups
    ]
    heading = (
        _("Most excellent = {share} of well completed, in each group").format(
            share=f"{report.share_of_good:.0%}"
        )
        if report.share_of_good is not None
        else _("The rule set applied does not cap the share of excellent")
    )
    ws = _sheet(workbook, report, BY_GROUP, heading, headers, rows)
    for r, g in enumerate(report.groups, start=HEADER_ROW + 1):
        if not g.check.within:
            ws.cell(r, len(headers)).font = _OVER


def write_report(report: CycleReport, path: Path) -> None:
    """Write the report to `path` as an .xlsx workbook, one sheet per part, in the current
    language (KIEMDIEM_LANG for a command, the person's choice on a page)."""
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
        _("Units overdue at the step they are in"),
        [_("Code"), _("Name"), _("Organization"), _("Step"), _("Due"), _("Days overdue")],
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
        _("Reviews the higher level returned for re-review"),
        [
            _("Code"),
            _("Name"),
            _("Organization"),
            _("Reason"),
            _("Returned by"),
            _("Returned at"),
            _("State now"),
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
        _("Shortcomings and their remediation"),
        [
            _("Code"),
            _("Name"),
            _("Organization"),
            _("Shortcoming"),
            _("Responsible"),
            _("Due"),
            _("Status"),
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
    by_org.append(
        ["", _("Whole cycle"), *(totals.get(s, 0) for s in _STATUSES), sum(totals.values())]
    )
    ws = _sheet(
        workbook,
        report,
        REMEDIATION_BY_ORG,
        _("Shortcomings by remediation status"),
        [
            _("Code"),
            _("Organization name"),
            *(capitalized(v) for v in names.REMEDIATION_STATUSES.values()),
            _(TOTAL),
        ],
        by_org,
    )
    _bold_row(ws, HEADER_ROW + len(by_org))
    if report.insights is not None:
        headings = {
            report_insights.FORMALISM: _(
                "Signs for the higher level to look into (not conclusions)"
            ),
            report_insights.FORECAST: _("Progress forecast by organization and step"),
            report_insights.POSITIONS: _("Levels by comparable position across the district"),
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
