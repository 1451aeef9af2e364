"""Suggestions, the self-review form, submission and opinions as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kiemdiem.cli import app
from models import get_engine, load_settings, session_scope
from states import launch, load_plan, submit_self_review
from states.rule_set import load_rule_set
from tests.factories import MEMBER_HEADER, MEMBERS, ORG_HEADER, ORGS, write_csv, write_plan
from tests.states.helpers import act, local, review_form, tick

# These tests read the refusals' English words.
pytestmark = pytest.mark.usefixtures("english")

runner = CliRunner()

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")
NOW = ["--now", "2026-11-10T09:00:00+07:00"]
CRITERIA = load_rule_set("qd366-2025").criteria


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The factory district (A3 living in C2's area) with the cycle launched and started."""
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    members = [{**m, "residence": "C2" if m["code"] == "A3" else ""} for m in MEMBERS]
    files = (
        write_csv(tmp_path / "organizations.csv", ORG_HEADER, ORGS),
        write_csv(tmp_path / "members.csv", [*MEMBER_HEADER, "residence"], members),
    )
    assert runner.invoke(app, ["org", "import", *map(str, files)]).exit_code == 0
    engine = get_engine()
    with session_scope(engine) as session:
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path)),
            now=local("2026-11-10 08:00"),
            settings=load_settings(),
        )
    tick(engine, local("2026-11-10 08:00"))
    return tmp_path


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, *NOW])
    return result.exit_code, result.output + (str(result.exception) if result.exit_code else "")


def test_suggest_form_submit_and_opinion(database: Path) -> None:
    code, out = _run(
        "unit", "suggest", "TT-2026", "M:A3", "--as", "A2", "--text", "Làm rõ đảng phí."
    )
    assert code == 0 and "M:A3: review suggestion recorded" in out, out
    result = runner.invoke(app, ["unit", "form", "TT-2026", "M:A3", "--json"])
    form = json.loads(result.output)
    (suggestion,) = form["suggestions"]
    assert form["criteria"] == CRITERIA and suggestion["from"] == "Nguyễn Văn A2"
    text = runner.invoke(app, ["unit", "form", "TT-2026", "M:A3"]).output
    assert f"#{suggestion['id']} from Nguyễn Văn A2 (committee" in text and CRITERIA[0] in text

    answers = database / "criteria.yaml"
    answers.write_text(
        yaml.safe_dump(dict.fromkeys(CRITERIA[1:], "Đạt."), allow_unicode=True), encoding="utf-8"
    )
    submit = [
        "unit",
        "submit",
        "TT-2026",
        "M:A3",
        "--as",
        "A3",
        "--level",
        "good",
        "--score",
        "80",
        "--criteria-file",
        str(answers),
        "--shortcoming",
        "Chậm nộp đảng phí|Chủ quan",
    ]
    code, out = _run(*submit)
    assert code == 1
    assert f"M:A3: criterion '{CRITERIA[0]}' has no answer" in out
    assert f"M:A3: suggestion #{suggestion['id']} from Nguyễn Văn A2" in out
    code, out = _run(
        *submit,
        "--criterion",
        f"{CRITERIA[0]}=Vững vàng.",
        "--answer",
        f"{suggestion['id']}=Đã nộp đủ.",
    )
    assert code == 0 and "M:A3: in self-review → in peer review" in out, out

    code, out = _run(
        "unit", "opinion", "TT-2026", "M:A3", "--from", "residence:C2", "--as", "A1", "--text", "?"
    )
    assert code == 1 and "speaks for none of the opinions awaited (the residence cell C2)" in out
    code, out = _run(
        "unit",
        "opinion",
        "TT-2026",
        "M:A3",
        "--from",
        "residence:C2",
        "--as",
        "B1",
        "--text",
        "Tốt.",
    )
    assert code == 0 and "M:A3: opinion recorded" in out, out


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "vi",
            "M:A3: đối tượng này không được đề nghị lấy ý kiến của cơ quan VP; các ý kiến đang "
            "chờ: chi bộ nơi cư trú C2 (--from)\nChưa có gì bị thay đổi.",
        ),
        (
            "en",
            "M:A3: no opinion of the office VP was requested for this unit; opinions awaited "
            "for it: the residence cell C2 (--from)\nNothing was changed.",
        ),
    ],
)
def test_an_opinion_not_requested_is_refused_in_the_persons_language(
    database: Path, monkeypatch: pytest.MonkeyPatch, lang: str, words: str
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", lang)
    # A3 submits: the peer review waits for C2's residence opinion, and for no office's.
    act(
        get_engine(),
        submit_self_review,
        unit_code="M:A3",
        actor_code="A3",
        now=local("2026-11-10 09:00"),
        **review_form(),
    )
    code, out = _run(
        "unit", "opinion", "TT-2026", "M:A3", "--from", "office:VP", "--as", "B4", "--text", "x"
    )
    assert code == 1 and words in out, out
    assert "office:VP" not in out and "residence:" not in out
    code, shown = _run("unit", "show", "TT-2026", "M:A3")
    source = "chi bộ nơi cư trú C2" if lang == "vi" else "the residence cell C2"
    assert code == 0 and source in shown and "residence:" not in shown, shown
    assert "unit opinion" in shown and "give_opinion" not in shown  # what it can: commands
    code, out = _run(
        "unit", "opinion", "TT-2026", "M:A3", "--from", "residence:C2", "--as", "B1", "--text", "x"
    )
    said = "M:A3: đã ghi nhận ý kiến" if lang == "vi" else "M:A3: opinion recorded"
    assert code == 0 and said in out, out


def test_malformed_pairs_are_refused_naming_the_option(database: Path) -> None:
    result = runner.invoke(
        app,
        ["unit", "submit", "TT-2026", "M:A3", "--as", "A3", "--level", "good", "--answer", "x=y"],
    )
    assert result.exit_code == 2 and "'x' is not an id" in result.output
