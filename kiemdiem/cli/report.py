"""`kiemdiem report CODE --xlsx FILE`: the cycle's final report for the standing committee."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiemdiem.cli._common import NowOption, console, transaction
from kiemdiem.report_xlsx import write_report
from models import resolve_now
from states.report import cycle_report

XlsxOption = Annotated[
    Path,
    typer.Option(
        "--xlsx", help="The workbook to write (.xlsx), e.g. bao-cao-TT-2026.xlsx.", dir_okay=False
    ),
]


def report_command(code: str, xlsx: XlsxOption, now: NowOption = None) -> None:
    """Write the cycle's report workbook: levels per organization and group, the cap check,
    overdue and returned units, remediation."""
    if xlsx.suffix.lower() != ".xlsx":
        raise typer.BadParameter(
            f"{xlsx}: the file must end in .xlsx, or Excel will not open it", param_hint="--xlsx"
        )
    if not xlsx.parent.is_dir():
        raise typer.BadParameter(
            f"{xlsx}: the folder {xlsx.parent} does not exist; create it or choose another path",
            param_hint="--xlsx",
        )
    with transaction() as session:
        report = cycle_report(session, code, resolve_now(now))
    write_report(report, xlsx)
    totals = report.totals.all_kinds
    console.print(f"report for {report.code} written to {xlsx}", highlight=False, soft_wrap=True)
    console.print(
        f"units {totals.total}, decided {totals.decided}; groups over the excellent cap "
        f"{len(report.over_cap)} of {len(report.groups)}; overdue {len(report.overdue)}; "
        f"returned {len(report.returned)}; open shortcomings {report.open_shortcomings}",
        highlight=False,
        soft_wrap=True,
    )
