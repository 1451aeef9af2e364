"""`kiemdiem report CODE --xlsx FILE`: the cycle's final report for the standing committee."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kiemdiem.cli._common import CycleArg, NowOption, console, text, transaction
from vocabulary import N_, _

XlsxOption = Annotated[
    Path,
    typer.Option(
        "--xlsx",
        help=N_("The workbook to write (.xlsx), e.g. bao-cao-TT-2026.xlsx."),
        dir_okay=False,
    ),
]


def report_command(code: CycleArg, xlsx: XlsxOption, now: NowOption = None) -> None:
    """Write the cycle's report workbook: levels per organization and group, the cap check,
    overdue and returned units, remediation."""
    from kiemdiem.cli._progress import steps

    if xlsx.suffix.lower() != ".xlsx":
        raise typer.BadParameter(
            _("{path}: the file must end in .xlsx, or Excel will not open it").format(path=xlsx),
            param_hint="--xlsx",
        )
    if not xlsx.parent.is_dir():
        raise typer.BadParameter(
            _(
                "{path}: the folder {folder} does not exist; create it or choose another path"
            ).format(path=xlsx, folder=xlsx.parent),
            param_hint="--xlsx",
        )
    with steps(2) as bar:
        bar.step(_("Counting the cycle's units, levels and shortcomings…"))
        from kiemdiem.report_xlsx import write_report
        from models import resolve_now
        from states.report import cycle_report

        with transaction() as session:
            report = cycle_report(session, code, resolve_now(now))
        bar.step(_("Writing the workbook…"))
        write_report(report, xlsx)
    totals = report.totals.all_kinds
    console.print(
        _("report for {cycle} written to {path}").format(cycle=text(report.code), path=text(xlsx)),
        soft_wrap=True,
    )
    console.print(
        _(
            "units {total}, decided {decided}; groups over the excellent cap {over} of {groups}; "
            "overdue {overdue}; returned {returned}; open shortcomings {open}"
        ).format(
            total=totals.total,
            decided=totals.decided,
            over=len(report.over_cap),
            groups=len(report.groups),
            overdue=len(report.overdue),
            returned=len(report.returned),
            open=report.open_shortcomings,
        ),
        soft_wrap=True,
    )
