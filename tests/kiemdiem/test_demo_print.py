"""The demo's last lines, from a summary built here (the demo itself takes minutes): every
figure worded, in Vietnamese and in English, no dict or stored code printed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from kiemdiem.demo.run import _print
from vocabulary import use_language

SUMMARY = {
    "cycle": "TT-2026",
    "units": 2050,
    "overdue": {"self_review": 3, "peer_review": 0, "vote": 1},
    "mails": {"sent": 900, "pending": 2, "failed": 0, "sending": 0},
    "mails_received": 900,
    "actions": {"submit": 1800, "vote": 12000},
    "seconds": 120.5,
    "seconds_in_ticks": 40.1,
    "seconds_in_people": 60.2,
    "cpu_seconds": 150.0,
    "cpu_in_ticks": 30.0,
    "cpu_in_people": 50.0,
    "report": "/tmp/bao-cao-TT-2026.xlsx",
    "insights": {
        "formalism": {"copied_self_review": 4, "uniform_levels": 2},
        "at_risk": 3,
        "position_outliers": 1,
    },
}
TIMELINE = [{"day": "2026-11-10", "self_review": 2050, "overdue": 0, "sent": 300}]


def _printed(lang: str, tmp_path: Path) -> str:
    out = io.StringIO()
    with use_language(lang):
        _print(Console(file=out, width=300), dict(SUMMARY), TIMELINE, tmp_path, False)
    return out.getvalue()


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "vi",
            [
                "4 (tự kiểm điểm 3, biểu quyết xếp loại 1)",
                "dấu hiệu hình thức: Bản tự kiểm điểm sao chép của nhau 4, ",
                "3 tổ chức và bước có nguy cơ trễ hạn",
                "1 đối tượng được xếp loại khác với nhóm chức danh tương đương",
                "bản tự kiểm điểm đã nộp 1800",
            ],
        ),
        (
            "en",
            [
                "overdue now 4 (self-review 3, vote on the level 1)",
                "formalism signals: Self-reviews copied from each other 4, "
                "A whole cell at one level 2",
                "3 organizations and steps at risk of lateness",
                "1 unit classified unlike its comparable positions",
                "self-reviews submitted 1800",
            ],
        ),
    ],
)
def test_the_last_lines_are_sentences(lang: str, words: list[str], tmp_path: Path) -> None:
    printed = _printed(lang, tmp_path)
    for said in words:
        assert said in printed, printed
    assert "{" not in printed and "':" not in printed, printed
    assert not {"self_review", "copied_self_review", "at_risk", "position_outliers"} & set(
        printed.replace(",", " ").replace(":", " ").split()
    ), printed


def test_a_summary_without_insights_says_so(tmp_path: Path) -> None:
    out = io.StringIO()
    with use_language("en"):
        _print(
            Console(file=out, width=300), {**SUMMARY, "insights": None}, TIMELINE, tmp_path, False
        )
    assert "no insights (the plan asks for none)" in out.getvalue()
