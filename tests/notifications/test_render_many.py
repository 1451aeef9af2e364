"""render_many: the template once per shape, and every mail exactly what render would make."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from notifications import Slot, render, render_many

# The module, not the function the package exports under the same name.
render_module = importlib.import_module("notifications.render")

CYCLE = {"code": "C-1", "title": "Kiểm Điểm 2026", "document": "KH <131>", "launched_by": "HU"}
DUES = [
    {"stage": "self_review", "due_local": "26/11/2026"},
    {"stage": "vote", "due_local": "30/11"},
]
# A name holding a mark of its own (\ue0000\ue001) is written as it is, never filled in.
NAMES = ["Nguyễn Văn An", '<script>alert("x")</script> & Co', "  Lê   Thị\tBa  ", "Ô \ue0000\ue001"]


def _contexts(wrap: Any) -> list[dict[str, Any]]:
    out = []
    for i, name in enumerate(NAMES):
        units = [
            {"unit_code": wrap(f"M:A{i}&{j}"), "unit_name": wrap(name), "kind": kind, "dues": DUES}
            for j, kind in enumerate(["member", "leader"][: 1 + i % 2])
        ]
        out.append(
            {
                "recipient_name": wrap(name),
                "cycle": CYCLE,
                "units": units,
                "link": wrap(f"http://x.vn/c/C-1?u={i}&v=<{i}>"),
            }
        )
    return out


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_each_mail_is_what_render_makes_escaped_alike(lang: str) -> None:
    many = render_many("plan_issued", _contexts(Slot), lang=lang)
    one = [render("plan_issued", c, lang=lang) for c in _contexts(lambda v: v)]
    assert many == one
    assert "&lt;script&gt;" in many[1].html and "<script>" not in many[1].html
    assert '<script>alert("x")</script> & Co' in many[1].text


def test_the_template_runs_once_per_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    raw = render_module._render_raw

    def counted(kind: str, context: dict[str, Any], lang: str) -> Any:
        calls.append(kind)
        return raw(kind, context, lang)

    monkeypatch.setattr(render_module, "_render_raw", counted)
    # Four mails, two shapes: one unit (names 0 and 2) and two units (names 1 and 3).
    made = render_many("plan_issued", _contexts(Slot), lang="vi")
    assert len(made) == 4 and len(calls) == 2
    assert made[0].text != made[2].text


def test_a_mark_outside_the_slots_renders_the_mail_on_its_own() -> None:
    contexts = _contexts(Slot)
    contexts[0]["cycle"] = {**CYCLE, "title": "Đợt \ue0000\ue001"}
    plain = _contexts(lambda v: v)
    plain[0]["cycle"] = contexts[0]["cycle"]
    assert render_many("plan_issued", contexts) == [render("plan_issued", c) for c in plain]


def test_render_iter_renders_contexts_dropped_as_it_goes_each_as_render_would() -> None:
    # Each context is made when asked for and dropped after, with deadline lists of its own
    # (no slot in them, so shaped once by id): a dropped list's id is often given to the next
    # one, which must not be taken for the first.
    def contexts(wrap: Any) -> Any:
        for i in range(40):
            dues = [{"stage": "self_review", "due_local": f"{i + 1:02d}/11/2026"}]
            unit = {"unit_code": wrap(f"M:A{i}"), "unit_name": wrap("An"), "kind": "member"}
            yield {
                "recipient_name": wrap(f"Người {i}"),
                "cycle": CYCLE,
                "units": [{**unit, "dues": dues}],
                "link": wrap(f"http://x.vn/{i}"),
            }

    made = list(render_module.render_iter("plan_issued", contexts(Slot), lang="vi"))
    assert made == [render("plan_issued", c, lang="vi") for c in contexts(lambda v: v)]
    assert len({m.text for m in made}) == 40


def test_html_escaping_of_slots_is_markupsafes() -> None:
    from markupsafe import escape

    for value in ["plain", "a & b", "<i>", "'q'", '"dq"', "Ô \u00a0 &amp;"]:
        assert render_module._html(value) == str(escape(value))
