"""Organizations at risk in the committees' digest, in both languages, escaped in HTML."""

from __future__ import annotations

import pytest

from notifications import render

CYCLE = {
    "code": "TT-2026",
    "title": "Kiểm điểm năm 2026",
    "document": "KH 131",
    "launched_by": "HU",
}
ITEM = {
    "unit_code": "M:A1",
    "unit_name": "Nguyễn Văn An",
    "kind": "member",
    "org_name": "Chi bộ thôn 1",
    "stage": "vote",
    "due_local": "06/12/2026",
    "days_late": 2,
}
RISK = {
    "organization": "G<1>",
    "stage": "self_review",
    "units": 12,
    "done": 6,
    "due": "2026-11-20",
    "projected": "2026-11-28",
}


@pytest.mark.parametrize(
    ("lang", "intro"),
    [("vi", "Dự báo chậm tiến độ"), ("en", "Forecast at risk")],
)
def test_the_digest_lists_organizations_at_risk(lang: str, intro: str) -> None:
    context = {"recipient_name": "X", "cycle": CYCLE, "link": "l", "items": [ITEM]}
    mail = render("digest", {**context, "at_risk": [RISK, {**RISK, "projected": None}]}, lang=lang)
    assert intro in mail.text and "G<1>" in mail.text and "6/12" in mail.text
    assert "2026-11-28" in mail.text and "2026-11-20" in mail.text
    assert "G&lt;1&gt;" in mail.html and "G<1>" not in mail.html
    plain = render("digest", context, lang=lang)
    assert intro not in plain.text and intro not in plain.html  # nothing at risk: no section
    assert intro not in render("digest", {**context, "at_risk": []}, lang=lang).text
