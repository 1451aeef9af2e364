"""Every free text a person writes has a length limit, refused with the limit in the error
before anything is read or written."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from models import ActionRefused, Level, limits, load_settings, session_scope
from states import (
    approve,
    comment,
    give_opinion,
    report_remediation,
    return_for_review,
    submit_self_review,
    suggest,
    supervise,
)
from states.self_review import ShortcomingInput
from states.text_limits import control_character
from tests.states.helpers import act, launch_cycle, local, review_form, snapshot
from vocabulary.refusals import word

LONG = "x" * (limits.TEXT + 1)
VERY_LONG = "y" * (limits.LONG_TEXT + 1)
NOW = local("2026-11-10 08:00")

CASES: list[tuple[str, Callable[..., Any], dict[str, Any], str, int]] = [
    (
        "suggestion",
        suggest,
        {"unit_codes": ["M:A3"], "actor_code": "B4", "text": LONG},
        "text",
        limits.TEXT,
    ),
    (
        "comment",
        comment,
        {"unit_codes": ["M:A3"], "actor_code": "A1", "text": LONG},
        "text",
        limits.TEXT,
    ),
    (
        "opinion",
        give_opinion,
        {"unit_code": "M:A3", "source": "residence:C2", "actor_code": "B1", "text": LONG},
        "text",
        limits.TEXT,
    ),
    (
        "self-review strengths",
        submit_self_review,
        {"unit_code": "M:A3", "actor_code": "A3", **review_form(strengths=VERY_LONG)},
        "strengths",
        limits.LONG_TEXT,
    ),
    (
        "self-review shortcoming cause",
        submit_self_review,
        {
            "unit_code": "M:A3",
            "actor_code": "A3",
            **review_form(shortcomings=[ShortcomingInput("ngắn", LONG)]),
        },
        "shortcoming[1].cause",
        limits.TEXT,
    ),
    (
        "approval reason",
        approve,
        {"unit_codes": ["M:A3"], "actor_code": "A2", "level": Level.GOOD, "reason": LONG},
        "reason",
        limits.TEXT,
    ),
    (
        "approval conclusion",
        approve,
        {"unit_codes": ["M:A3"], "actor_code": "A2", "conclusions": ["ok", LONG]},
        "conclusion[2]",
        limits.TEXT,
    ),
    (
        "return reason",
        return_for_review,
        {"unit_codes": ["M:A3"], "actor_code": "A2", "reason": LONG},
        "reason",
        limits.TEXT,
    ),
]


@pytest.mark.parametrize(
    ("_name", "action", "kwargs", "field", "limit"), CASES, ids=[c[0] for c in CASES]
)
def test_a_text_over_its_limit_is_refused_with_the_limit(
    district: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    _name: str,
    action: Callable[..., Any],
    kwargs: dict[str, Any],
    field: str,
    limit: int,
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    launch_cycle(district, tmp_path, NOW)
    before = snapshot(district)
    extra = {"settings": load_settings()} if action in (suggest, return_for_review) else {}
    with pytest.raises(ActionRefused) as refused:
        act(district, action, now=NOW, **kwargs, **extra)
    (refusal,) = refused.value.refusals
    assert (refusal.code, refusal.field) == ("text_too_long", field)
    assert refusal.fields["limit"] == limit
    assert f"at most {limit} characters" in word(refusal)
    assert snapshot(district) == before


@pytest.mark.parametrize("action", [report_remediation, supervise])
def test_a_remediation_note_over_its_limit_is_refused(
    district: Engine, tmp_path: Path, action: Callable[..., Any]
) -> None:
    launch_cycle(district, tmp_path, NOW)
    with pytest.raises(ActionRefused) as refused, session_scope(district) as session:
        action(session=session, shortcoming_id=1, actor_code="A1", now=NOW, note=LONG)
    assert refused.value.refusals[0].fields == {
        "field": "note",
        "length": limits.TEXT + 1,
        "limit": limits.TEXT,
    }


def test_a_text_at_its_limit_passes_the_check(district: Engine, tmp_path: Path) -> None:
    launch_cycle(district, tmp_path, NOW)
    with pytest.raises(ActionRefused) as refused:
        act(
            district, comment, unit_codes=["M:A3"], actor_code="A1", now=NOW, text="x" * limits.TEXT
        )
    assert all(r.code != "text_too_long" for r in refused.value.refusals)  # refused for its state


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\u2028", "\x7f"])
def test_a_control_character_in_a_text_is_refused_not_stored(
    district: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, char: str
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    launch_cycle(district, tmp_path, NOW)
    before = snapshot(district)
    with pytest.raises(ActionRefused) as refused:
        act(
            district,
            suggest,
            unit_codes=["M:A3"],
            actor_code="B4",
            now=NOW,
            text=f"dòng 1\ndòng 2\tcó tab{char}",
            settings=load_settings(),
        )
    (refusal,) = refused.value.refusals
    assert refusal.code == "text_control_character"
    assert f"text holds the control character U+{ord(char):04X}" in word(refusal)
    assert snapshot(district) == before


def test_line_breaks_and_tabs_are_kept(district: Engine, tmp_path: Path) -> None:
    launch_cycle(district, tmp_path, NOW)
    act(
        district,
        suggest,
        unit_codes=["M:A3"],
        actor_code="B4",
        now=NOW,
        text="dòng 1\r\ndòng 2\tcó tab",
        settings=load_settings(),
    )


def test_the_controls_refused_are_unicodes_controls_and_separators_but_breaks_and_tabs() -> None:
    # Every code point of the Basic Multilingual Plane, against Unicode's own category.
    for point in range(0x10000):
        if 0xD800 <= point < 0xE000:
            continue  # surrogates: not characters a text can hold
        ch = chr(point)
        refused = ch not in "\n\r\t" and (unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029")
        found = control_character("text", f"ab{ch}c")
        assert (found is not None) == refused, f"U+{point:04X}"
        if found is not None:
            assert found.fields["character"] == f"U+{point:04X}"
    assert control_character("text", None) is None
