"""The CLI is honest about `--as`: an operator acting on a member's behalf, recorded as such,
and an office can turn it off for people's actions."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from sqlmodel import Session, select

from models import AuditEntry, Unit, get_engine
from states.rule_set import load_rule_set
from tests.cli.test_cli_review import _run, database  # noqa: F401  (the fixture)
from tests.states.helpers import CYCLE

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")


def _entries(code: str) -> list[AuditEntry]:
    with Session(get_engine()) as session:
        unit = session.exec(select(Unit).where(Unit.code == code)).one()
        return list(session.exec(select(AuditEntry).where(AuditEntry.unit_id == unit.id)))


def test_an_action_with_as_is_an_operators_on_the_members_behalf(database: Path) -> None:  # noqa: F811
    # The tick's own moves are the system's.
    assert {e.via for e in _entries("M:A3")} == {"system"}
    submit = ["unit", "submit", CYCLE, "M:A3", "--as", "A3", "--level", "good", "--score", "80"]
    for name in load_rule_set("qd366-2025").criteria:
        submit += ["--criterion", f"{name}=Đạt."]
    code, out = _run(*submit)
    assert code == 0, out
    (entry,) = [e for e in _entries("M:A3") if e.trigger == "submit_self_review"]
    assert (entry.actor, entry.via, entry.operator) == ("A3", "cli", getpass.getuser())
    shown = _run("unit", "show", CYCLE, "M:A3")[1]
    assert f"cli ({getpass.getuser()})" in shown


def test_an_office_turns_people_actions_off_in_the_cli(
    database: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")
    monkeypatch.setenv("KIEMDIEM_CLI_PEOPLE_ACTIONS", "false")
    before = [(e.id, e.to_state) for e in _entries("O:C1")]
    code, out = _run("unit", "suggest", CYCLE, "O:C1", "--as", "A2", "--text", "Rõ hơn.")
    assert code == 1
    assert "KIEMDIEM_CLI_PEOPLE_ACTIONS=false" in out and "on the pages" in out
    assert [(e.id, e.to_state) for e in _entries("O:C1")] == before
    # Reading stays the office's: unit show still works.
    assert _run("unit", "show", CYCLE, "O:C1")[0] == 0


def test_a_comment_entered_at_the_cli_says_the_operator_typed_it(database: Path) -> None:  # noqa: F811
    from models.cycle import Comment
    from tests.states.helpers import place

    engine = get_engine()
    place(engine, "O:C1", "published", proposed_level="good", final_level="good")
    place(engine, "M:A3", "peer_review")
    code, out = _run("unit", "comment", CYCLE, "M:A3", "--as", "A2", "--text", "Cần cố gắng.")
    assert code == 0, out
    with Session(engine) as session:
        (row,) = session.exec(select(Comment)).all()
        assert (row.entered_by, row.entered_via) == (getpass.getuser(), "cli")
    shown = _run("unit", "show", CYCLE, "M:A3")[1]
    assert f"recorded by {getpass.getuser()} at the command line" in " ".join(shown.split()), shown
    assert "Cần cố gắng." in shown
