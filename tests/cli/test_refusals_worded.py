"""A refusal through the CLI, in Vietnamese (the default) and in English: the service layer
gives a code and a field, the CLI words it in the person's language and names its flag."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from kiemdiem.cli import main
from models import NotFound, get_engine, init_db, load_settings, session_scope
from models.org_import import import_organizations
from states import launch, load_plan
from states.cycles import get_cycle
from tests.factories import write_district, write_plan
from tests.states.helpers import local
from vocabulary import _, use_language
from vocabulary.names import ACTIONS, STATES
from vocabulary.refusals import word
from vocabulary.wording import WORDS


@pytest.fixture
def launched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", url)
    engine = get_engine(url)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path)),
            now=local("2026-11-10 08:00"),
            settings=load_settings(),
        )


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (None, "lỗi: trả lại bản kiểm điểm cần nêu lý do để đơn vị được biết (--reason)"),
        ("en", "error: returning a review needs a reason the unit will read (--reason)"),
    ],
)
def test_a_refusal_is_worded_in_the_persons_language_with_the_cli_flag(
    launched: None,
    lang: str | None,
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if lang:
        monkeypatch.setenv("KIEMDIEM_LANG", lang)
    argv = ["kiemdiem", "unit", "return", "TT-2026", "M:A1", "--as", "B2", "--reason", " "]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    said = " ".join(capsys.readouterr().err.split())
    assert said.startswith(words)
    assert said.endswith("Chưa có gì bị thay đổi." if lang is None else "Nothing was changed.")


def test_a_state_refusal_names_the_state_in_the_persons_language(
    launched: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["kiemdiem", "unit", "comment", "TT-2026", "M:A1", "--as", "A2", "--text", "Tốt"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit):
        main()
    said = " ".join(capsys.readouterr().err.split())
    # The action, the state and the states it is allowed from, each by its name in Vietnamese
    # (read from the one table), never the stored value.
    with use_language("vi"):
        names = (ACTIONS["comment"], STATES["plan_issued"], STATES["peer_review"])
    assert all(name in said for name in names), said
    assert not any(raw in said for raw in ("plan_issued", "peer_review", "comment ")), said


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_an_unknown_code_is_a_refusal_the_cli_adds_its_command_to(
    launched: None, lang: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service layer says which cycle is unknown and which exist; only the CLI names the
    command that lists them."""
    monkeypatch.setenv("KIEMDIEM_LANG", lang)
    monkeypatch.setattr(sys, "argv", ["kiemdiem", "cycle", "status", "TT-1999"])
    with pytest.raises(SystemExit):
        main()
    said = " ".join(capsys.readouterr().err.split())
    with use_language(lang):
        sentence = _(WORDS["unknown_cycle"]).format(code="TT-1999", known="TT-2026")
    assert sentence in said and "`kiemdiem cycle list`" in said
    with session_scope(get_engine(os.environ["KIEMDIEM_DATABASE_URL"])) as session:
        with pytest.raises(NotFound) as unknown:
            get_cycle(session, "TT-1999")
    assert unknown.value.refusal is not None
    assert unknown.value.refusal.fields == {"code": "TT-1999", "known": "TT-2026"}
    assert "kiemdiem" not in word(unknown.value.refusal, front="page")
