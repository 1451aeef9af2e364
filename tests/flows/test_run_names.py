"""Run names: the cycle, its committee, what the run does; nothing that is not a code."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flows._run_names import org_in, plan_fields, run_name, safe_code


def test_a_name_carries_the_cycle_then_the_committee_then_what_the_run_does() -> None:
    assert run_name("TT-2026", "HU-PT", "tick") == "TT-2026 · HU-PT · tick"
    assert run_name("TT-2026", None, "advance") == "TT-2026 · advance"
    assert run_name(None, "HU-PT", "delivery", no_cycle="all cycles") == "all cycles · delivery"
    assert run_name(None, None, "launch") == "launch"
    # every character a cycle or organization code may hold, as it is
    assert run_name(".2026_a", "x.Y_z-9", "tick") == ".2026_a · x.Y_z-9 · tick"


@pytest.mark.parametrize(
    "value",
    [
        "HU PT",  # a space: the name's parts could no longer be told apart
        "HU · PT",
        "HU\nPT",
        "HU-PT\n",
        "<b>HU</b>",
        "Huyện ủy",  # a name, not a code
        "a@example.vn",
        "HU/PT",
        "HU%PT",
        "",
        "X" * 65,  # longer than any code
        42,
        None,
        ["HU"],
    ],
)
def test_what_is_not_a_code_is_left_out_of_a_name(value: object) -> None:
    assert safe_code(value) is None
    assert run_name("TT-2026", value, "tick") == "TT-2026 · tick"
    assert run_name(value, "HU-PT", "tick") == "tick"


def test_the_committee_is_read_from_the_same_cycles_tags_only() -> None:
    assert org_in(["cycle:TT-2026", "org:HU-PT"], "TT-2026") == "HU-PT"
    assert org_in(["org:HU-PT", "cycle:TT-2026", "auto-scheduled"], "TT-2026") == "HU-PT"
    assert org_in(["cycle:TT-2027", "org:HU-PT"], "TT-2026") is None  # another cycle's run
    assert org_in(["cycle:TT-2026"], "TT-2026") is None
    assert org_in(["cycle:TT-2026", "org:A", "org:B"], "TT-2026") is None  # which one?
    assert org_in(["cycle:TT-2026", "org:<script>"], "TT-2026") is None
    assert org_in(None, "TT-2026") is None


def test_a_plans_code_and_committee_are_read_only_when_they_are_codes(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"code": "TT-2026", "launched_by": "HU-PT"}), encoding="utf-8")
    assert plan_fields(plan) == ("TT-2026", "HU-PT")
    plan.write_text(yaml.safe_dump({"code": "TT 2026\n", "launched_by": 7}), encoding="utf-8")
    assert plan_fields(plan) == (None, None)
    plan.write_text("code: [unclosed", encoding="utf-8")
    assert plan_fields(plan) == (None, None)
    assert plan_fields(tmp_path / "missing.yaml") == (None, None)
    assert plan_fields(None) == (None, None)
