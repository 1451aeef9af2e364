"""A Vietnamese reader meets no English sentence: representative commands run with
KIEMDIEM_LANG=vi (looking, a status, a report, refusals of each kind, a bad import, a bad
plan) and every line they print is Vietnamese words or data.

Two nets, neither a copy of the output: no English msgid of the catalog (three words or
more) appears untranslated, and no line holds an English function word ("the", "is",
"not", ...), which no Vietnamese sentence and none of the test district's names contain. A
new English string that skips the catalog is caught by the second."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from typer.testing import CliRunner

from kiemdiem.cli import app
from models import Level, get_engine, init_db, session_scope
from models.org_import import import_organizations
from tests.factories import MEMBER_HEADER, ORG_HEADER, ORGS, write_csv, write_district, write_plan
from tests.states.helpers import launch_cycle, local, place, tick
from vocabulary import LOCALE_DIR

runner = CliRunner()
ENGLISH_WORDS = re.compile(
    r"\b(the|is|are|was|were|not|of|and|with|has|have|been|this|that|which|must|cannot|"
    r"from|into|only|its|their|already|before|after|nothing|needs?)\b",
    re.IGNORECASE,
)
# What may stay English inside a Vietnamese line: commands and flags the CLI names (in
# backticks), file paths, and the English msgids that are codes or units, not sentences.
QUOTED = re.compile(r"`[^`]*`|'[^']*'|\S*/\S*|--[a-z-]+")


def _english_msgids() -> list[str]:
    with (LOCALE_DIR / "en" / "LC_MESSAGES" / "kiemdiem.po").open("rb") as f:
        catalog = read_po(f)
    with (LOCALE_DIR / "vi" / "LC_MESSAGES" / "kiemdiem.po").open("rb") as f:
        vi = read_po(f)
    found = []
    for message in catalog:
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        translated = vi.get(message.id)
        if not msgid or translated is None or translated.string == msgid:
            continue
        # The words between the placeholders, as they would appear in the output.
        for piece in re.split(r"\{[^}]*\}", msgid):
            if len(piece.split()) >= 3:
                found.append(piece.strip())
    return found


@pytest.fixture
def district(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KIEMDIEM_LANG", "vi")
    url = f"sqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", url)
    engine = get_engine(url)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch_cycle(engine, tmp_path, local("2026-11-10 08:00"))
    tick(engine, local("2026-11-10 08:00"))
    for unit in ("O:C1", "M:A3"):
        place(engine, unit, "approval", proposed_level=Level.GOOD, score=80)
    place(engine, "M:A1", "published", final_level=Level.EXCELLENT)
    return tmp_path


def _commands(tmp_path: Path) -> list[list[str]]:
    (tmp_path / "bad").mkdir()
    (tmp_path / "badplan").mkdir()
    bad_orgs = write_csv(
        tmp_path / "bad" / "organizations.csv",
        ORG_HEADER,
        [*ORGS, {**ORGS[-1], "email": "not-an-address"}, {**ORGS[-1], "code": "X", "level": "x"}],
    )
    bad_members = write_csv(tmp_path / "bad" / "members.csv", MEMBER_HEADER, [])
    bad_plan = write_plan(tmp_path / "badplan", code="TT-2027", timezone="Mars/Olympus")
    now = ["--now", "2026-11-12T09:00:00+07:00"]
    return [
        ["org", "list"],
        ["org", "show", "G1"],
        ["org", "show", "NOPE"],
        ["cycle", "list"],
        ["cycle", "status", "TT-2026", *now],
        ["cycle", "status", "TT-1999"],
        ["unit", "show", "TT-2026", "M:A3", *now],
        ["unit", "results", "TT-2026", "--as", "A1"],
        ["remediation", "list", "TT-2026"],
        ["report", "TT-2026", "--xlsx", str(tmp_path / "r.xlsx"), *now],
        # Refusals: a move from the wrong state, the order of approval, a missing reason.
        ["unit", "comment", "TT-2026", "M:A2", "--as", "A1", "--text", "Tốt", *now],
        ["unit", "approve", "TT-2026", "M:A3", "--as", "A2", *now],
        ["unit", "return", "TT-2026", "M:A3", "--as", "A2", "--reason", " ", *now],
        ["unit", "close-vote", "TT-2026", "M:A2", "--as", "A2", *now],
        ["org", "import", str(bad_orgs), str(bad_members)],
        ["cycle", "launch", str(bad_plan), *now],
    ]


def test_no_english_sentence_reaches_a_vietnamese_reader(district: Path) -> None:
    msgids = _english_msgids()
    assert len(msgids) > 100  # the net holds the catalog, not a handful of strings
    said: list[str] = []
    for args in _commands(district):
        result = runner.invoke(app, args, terminal_width=250)
        output = result.output + (result.stderr if result.stderr_bytes is not None else "")
        if result.exception and not isinstance(result.exception, SystemExit):
            output += f"\n{result.exception}"
        said += [f"{' '.join(args[:2])}: {line}" for line in output.splitlines() if line.strip()]
    assert len(said) > 40
    text = "\n".join(said)
    assert [m for m in msgids if m in text] == []
    english = [line for line in said if ENGLISH_WORDS.search(QUOTED.sub(" ", line))]
    assert english == [], "\n".join(english)
