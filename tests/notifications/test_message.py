"""Mail as a recipient's client sees it: decoded subjects, no injected headers, stable ids."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from notifications import KINDS, LANGUAGES, build_mime, message_id, render

ITEM = {
    "unit_code": "M:A1",
    "unit_name": "Nguyễn Văn <An>",
    "kind": "member",
    "org_name": "Chi bộ thôn 1",
    "stage": "vote",
    "due_local": "06/12/2026",
    "days_late": 2,
}
CYCLE = {
    "code": "TT-2026",
    "title": "Kiểm điểm năm 2026",
    "document": "Kế hoạch số 131-KH/HU",
    "launched_by": "Huyện ủy Thử",
}
# A sample context per mail kind, one JSON file each beside this test.
CONTEXTS = Path(__file__).parent / "contexts"


def test_every_kind_has_a_sample_context() -> None:
    assert {p.stem for p in CONTEXTS.glob("*.json")} == set(KINDS)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders_in_both_languages(kind: str, lang: str) -> None:
    rendered = render(
        kind,
        {
            "recipient_name": "Lê Thị Hà",
            "cycle": CYCLE,
            "link": "http://x/y",
            **json.loads((CONTEXTS / f"{kind}.json").read_text()),
        },
        lang=lang,
    )
    if kind != "signin_link":  # the one mail about no cycle: a fresh sign-in link
        assert "TT-2026" in rendered.subject or "131-KH/HU" in rendered.subject
    assert "Lê Thị Hà" in rendered.text and "Lê Thị Hà" in rendered.html
    assert "\n" not in rendered.subject


def test_text_is_not_escaped_and_html_is() -> None:
    rendered = render(
        "digest", {"recipient_name": "X", "cycle": CYCLE, "link": "l", "items": [ITEM]}
    )
    assert "Nguyễn Văn <An>" in rendered.text
    assert "Nguyễn Văn &lt;An&gt;" in rendered.html and "<An>" not in rendered.html


def test_english_is_english() -> None:
    vi = render("overdue", {"recipient_name": "X", "cycle": CYCLE, "link": "l", "items": [ITEM]})
    en = render(
        "overdue", {"recipient_name": "X", "cycle": CYCLE, "link": "l", "items": [ITEM]}, lang="en"
    )
    assert vi.subject.startswith("Thông báo quá hạn") and en.subject.startswith("Overdue")


def _parse(subject: str, name: str) -> Any:
    mime = build_mime(
        sender="kd@example.vn",
        recipient="a@example.vn",
        recipient_name=name,
        subject=subject,
        text="Nội dung",
        html="<p>Nội dung</p>",
        msg_id=message_id("k", "kd@example.vn"),
    )
    return message_from_bytes(mime.as_bytes(), policy=policy.default)


def test_a_subject_with_diacritics_survives_the_wire() -> None:
    subject = "Thông báo quá hạn kiểm điểm: Đảng ủy xã Hưng Lộc — Kế hoạch số 131-KH/HU"
    parsed = _parse(subject, "Nguyễn Thị Ánh")
    assert parsed["Subject"] == subject
    assert parsed["To"].addresses[0].display_name == "Nguyễn Thị Ánh"
    assert parsed.get_body(("plain",)).get_content().strip() == "Nội dung"


def test_a_name_cannot_inject_headers() -> None:
    parsed = _parse("Chủ đề\r\nBcc: subject@evil.example", "Eve\r\nBcc: victim@evil.example")
    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["a@example.vn"]


def test_message_ids_are_stable_per_key() -> None:
    assert message_id("digest:x", "kd@hu.vn") == message_id("digest:x", "kd@hu.vn")
    assert message_id("digest:x", "kd@hu.vn") != message_id("digest:y", "kd@hu.vn")
    assert message_id("digest:x", "kd@hu.vn").endswith("@hu.vn>")


def test_one_template_per_kind_translated_through_the_catalog() -> None:
    """No copy of a mail per language: the recipient's language picks the catalog."""
    templates = Path(__file__).parents[2] / "notifications" / "templates"
    assert not (templates / "vi").exists() and not (templates / "en").exists()
    context = {"recipient_name": "X", "cycle": CYCLE, "link": "l", "items": [ITEM]}
    vi, en = render("reminder", context, lang="vi"), render("reminder", context, lang="en")
    assert vi.text.startswith("Kính gửi X,") and en.text.startswith("Dear X,")
    assert "sắp đến hạn" in vi.subject and "due soon" in en.subject


@pytest.mark.parametrize("cte_type", ["8bit", "7bit"])
def test_flatten_writes_the_bytes_aiosmtplib_would(cte_type: str) -> None:
    from aiosmtplib.email import flatten_message

    from notifications.message import flatten

    long_subject = "Thông báo quá hạn kiểm điểm: Đảng ủy xã Hưng Lộc — " * 4
    for subject, name in [
        ("Chủ đề", "Nguyễn Thị Ánh"),
        (long_subject, "Eve\r\nBcc: victim@evil.example"),
        ("plain ascii", 'A. N. Other, "quoted"'),
    ]:
        for _ in range(2):  # the second time from the folded headers kept
            mime = build_mime(
                sender="kd@example.vn",
                recipient="a@example.vn",
                recipient_name=name,
                subject=subject,
                text="Nội dung\n-- \nchữ ký\n--" + "=" * 20,
                html="<p>Nội dung</p>",
                msg_id=message_id(subject, "kd@example.vn"),
            )
            ours = flatten(mime, cte_type=cte_type)
            # The boundary is random: the message now carries ours, which aiosmtplib keeps.
            assert ours == flatten_message(mime, cte_type=cte_type)
            assert message_from_bytes(ours, policy=policy.default)["Subject"] == " ".join(
                subject.split()
            )


def test_flatten_searches_for_a_boundary_when_a_part_is_not_base64() -> None:
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    from notifications.message import flatten

    mime = MIMEMultipart("alternative")
    mime.attach(MIMEText("a\n", "plain", "us-ascii"))  # 7bit, written as it is
    mime.attach(MIMEText("b\n", "plain", "us-ascii"))
    flat = flatten(mime)
    parsed = message_from_bytes(flat, policy=policy.default)
    assert [p.get_content() for p in parsed.iter_parts()] == ["a\n", "b\n"]
