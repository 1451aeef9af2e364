"""Plans an attacker or a hurried office writes: every problem `plan.yaml: key: what is wrong`,
all in one pass, before anything starts; nothing that eats memory or crashes the parser."""

from __future__ import annotations

import copy
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import Engine

from models import PlanInvalid, session_scope
from states import load_plan
from states._plan_file import MAX_BYTES
from states.plan_references import check_plan_file, past_due_warning
from tests.factories import PLAN, write_district, write_plan

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")


def _problems(path: Path) -> list[str]:
    with pytest.raises(PlanInvalid) as invalid:
        load_plan(path)
    return invalid.value.problems


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_billion_laughs_plan_is_refused_before_it_expands(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 9)}]")
    problems = _problems(_write(tmp_path, "\n".join(lines) + "\n"))
    assert problems == [
        "plan.yaml:2: a YAML alias (*a) is not allowed in a plan; write the value out in full"
    ]


def test_an_oversize_plan_is_refused_unread(tmp_path: Path) -> None:
    path = _write(tmp_path, "title: " + "x" * (MAX_BYTES + 10) + "\n")
    assert _problems(path) == ["plan.yaml: larger than 256 KiB; a plan is a page or two of YAML"]


def test_a_deeply_nested_plan_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "x: " + "[" * 50_000 + "]" * 50_000 + "\n")
    assert _problems(path) == ["plan.yaml: nested too deeply to be a plan"]


def test_a_key_written_twice_is_refused_with_its_path_and_lines(tmp_path: Path) -> None:
    text = yaml.safe_dump(PLAN, allow_unicode=True, sort_keys=False)
    text = text.replace("  vote: '2026-12-06'\n", "  vote: '2026-12-06'\n  vote: '2026-12-07'\n", 1)
    text += "code: TT-2027\n"
    problems = _problems(_write(tmp_path, text))
    assert len(problems) == 2
    assert problems[0].startswith("plan.yaml: due.vote: written twice (lines")
    assert problems[1].startswith("plan.yaml: code: written twice (lines 1 and")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"due": {**PLAN["due"], "vote": "2026-02-30"}}, "plan.yaml: due.vote: "),
        ({"due": {**PLAN["due"], "approval": "9999-12-31"}}, "plan.yaml: due.approval: "),
        ({"due": {**PLAN["due"], "self_review": "0001-01-01"}}, "plan.yaml: due.self_review: "),
        (
            {"escalation": [{"at": "99999999999d", "notify": ["unit"]}]},
            "plan.yaml: escalation[0].at",
        ),
        ({"escalation": [{"at": "400d", "notify": ["unit"]}]}, "more than 365 days"),
        ({"return_days": 10**12}, "plan.yaml: return_days: "),
        ({"remediation_days": 10**6}, "plan.yaml: remediation_days: "),
        ({"title": "T" * 501}, "plan.yaml: title: "),
    ],
)
def test_impossible_or_out_of_range_dates_and_durations_are_named(
    tmp_path: Path, changes: dict[str, Any], expected: str
) -> None:
    text = yaml.safe_dump({**copy.deepcopy(PLAN), **changes}, allow_unicode=True)
    text = text.replace("'2026-02-30'", "2026-02-30")  # unquoted: YAML's own date type
    problems = _problems(_write(tmp_path, text))
    assert any(expected in p for p in problems), problems


def test_an_undecodable_file_or_a_directory_is_named(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_bytes(b"code: TT-2026\ntitle: \xff\xfe\n")
    assert _problems(path) == ["plan.yaml: not UTF-8 (byte 21); save the file as UTF-8"]
    assert _problems(tmp_path) == [f"{tmp_path}: is a directory, not a plan file"]


def test_bad_keys_and_unknown_organizations_come_in_one_pass(
    district: Engine, tmp_path: Path
) -> None:
    path = write_plan(
        tmp_path,
        launched_by="NOPE",
        return_days=0,
        pilots={**PLAN["pilots"], "organizations": ["G1", "ZZ"]},
        previous_cycle="TT-1999",
    )
    with session_scope(district) as session, pytest.raises(PlanInvalid) as invalid:
        check_plan_file(session, path)
    assert invalid.value.problems == [
        "plan.yaml: return_days: must be at least 1",
        "plan.yaml: launched_by: 'NOPE' is not an imported organization",
        "plan.yaml: pilots.organizations[1]: 'ZZ' is not an imported organization",
        "plan.yaml: previous_cycle: 'TT-1999' is not a cycle in this database",
    ]


def test_a_plan_whose_every_due_date_is_past_is_warned_about() -> None:
    from states import parse_plan

    plan = parse_plan(copy.deepcopy(PLAN))
    assert past_due_warning(plan, datetime(2026, 11, 1, tzinfo=UTC)) is None
    warning = past_due_warning(plan, datetime(2026, 12, 10, tzinfo=UTC))
    assert warning and "every due date of the plan is already past" in warning
    assert "2026-12-09" in warning


def _kiemdiem(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from kiemdiem.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "KIEMDIEM_LANG": "en",
            "KIEMDIEM_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "PREFECT_HOME": str(tmp_path / "prefect"),
        },
        timeout=120,
    )


def test_the_cli_prints_every_plan_problem_and_no_traceback(tmp_path: Path) -> None:
    orgs, members = write_district(tmp_path)
    assert _kiemdiem(tmp_path, "org", "import", str(orgs), str(members)).returncode == 0
    path = write_plan(tmp_path, launched_by="NOPE", return_days=0)
    done = _kiemdiem(tmp_path, "cycle", "launch", str(path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert "plan.yaml: return_days:" in done.stderr
    assert "plan.yaml: launched_by: 'NOPE' is not an imported organization" in done.stderr
    assert "prefect" not in (done.stderr + done.stdout).lower()


def test_control_characters_anywhere_in_the_plan_are_refused_in_the_same_pass(
    tmp_path: Path,
) -> None:
    data = {**copy.deepcopy(PLAN), "title": "Kế hoạch\x00", "ghi_chu": {"a": "x\x1by"}}
    data["return_days"] = 0
    text = yaml.safe_dump(data, allow_unicode=True)
    problems = _problems(_write(tmp_path, text))
    assert "plan.yaml: title: holds the control character U+0000; remove it" in problems
    assert "plan.yaml: ghi_chu.a: holds the control character U+001B; remove it" in problems
    assert any(p.startswith("plan.yaml: return_days:") for p in problems)
    multi_line = {**copy.deepcopy(PLAN), "ghi_chu": "dòng 1\ndòng 2\tcột"}
    assert load_plan(_write(tmp_path, yaml.safe_dump(multi_line, allow_unicode=True)))
