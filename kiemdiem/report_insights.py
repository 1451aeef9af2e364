"""The insights sheets of the standing committee's workbook: formalism signals, the forecast,
levels per comparable position (states.insights), with Vietnamese headers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from vocabulary import names
from vocabulary.names import capitalized

FORMALISM = "Dấu hiệu hình thức"
FORECAST = "Dự báo tiến độ"
POSITIONS = "So sánh chức danh"
SHEETS = (FORMALISM, FORECAST, POSITIONS)

SIGNALS = {
    "copied_self_review": "Bản tự kiểm điểm sao chép của nhau",
    "copied_from_last_year": "Hạn chế, khắc phục chép lại từ năm trước",
    "uniform_levels": "Cả chi bộ cùng một mức xếp loại",
    "all_top_levels": "Chi bộ toàn mức tốt, xuất sắc so với toàn huyện",
    "unanimous_top_votes": "Biểu quyết tuyệt đối mức cao qua các vòng",
    "hollow_comments": "Góp ý chỉ khen hoặc không góp ý",
}
# A cell whose text starts like this would be read by Excel as a formula: people wrote it.
_FORMULA = ("=", "+", "-", "@")


def _evidence(signal: dict[str, Any]) -> str:
    evidence = signal["evidence"]
    if "texts" in evidence:
        return "\n---\n".join(f"{code}: {text}" for code, text in evidence["texts"].items())
    if "this_year" in evidence:
        now, then = evidence["this_year"], evidence["last_year"]
        return (
            f"Năm nay: {now['shortcomings']} / {now['remedies']}\n"
            f"Năm trước: {then['shortcomings']} / {then['remedies']}"
        )
    return "; ".join(f"{k}: {v}" for k, v in evidence.items() if not isinstance(v, dict | list))


def rows(insights: dict[str, Any]) -> dict[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]:
    """Each sheet's headers and rows."""
    return {
        FORMALISM: (
            ["Dấu hiệu", "Điểm (0–1)", "Tổ chức", "Đơn vị", "Căn cứ"],
            [
                [
                    SIGNALS.get(s["signal"], s["signal"]),
                    s["score"],
                    s["organization"],
                    ", ".join(s["units"]),
                    _evidence(s)[:30000],
                ]
                for s in insights["formalism"]
            ],
        ),
        FORECAST: (
            [
                "Tổ chức",
                "Bước",
                "Số đơn vị",
                "Đã xong",
                "Tốc độ (đơn vị/ngày)",
                "Dự kiến xong",
                "Hạn",
                "Nguy cơ trễ hạn",
                "Cảnh báo",
            ],
            [
                [
                    f["organization"],
                    capitalized(names.STAGES.name(f["stage"])),
                    f["units"],
                    f["done"],
                    f["pace_per_day"],
                    f["projected"] or "Chưa có tiến độ",
                    f["due"],
                    "Có" if f["at_risk"] else "",
                    "Có" if f["warn"] else "",
                ]
                for f in insights["forecast"]
            ],
        ),
        POSITIONS: (
            ["Nhóm chức danh", *names.LEVELS.values(), "Đã xếp loại", "Khác biệt (đơn vị: mức)"],
            [
                [
                    g["position_group"],
                    *(g["levels"][level] for level in names.LEVELS),
                    g["rated"],
                    "; ".join(
                        f"{o['unit']} {o['name']} ({o['organization']}): "
                        f"{names.LEVELS.name(o['level'])}"
                        for o in g["outliers"]
                    ),
                ]
                for g in insights["comparison"]
            ],
        ),
    }


def as_text(ws: Any) -> None:
    """Keep every text a person wrote a text: never let Excel run it as a formula."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(_FORMULA):
                cell.data_type = "s"
