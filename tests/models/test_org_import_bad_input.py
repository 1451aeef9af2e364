"""Organization files as an attacker or a careless export writes them: each class refused at
file:line, nothing stored, nothing silently cleaned."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from models import ImportRejected, Member, Organization, session_scope
from models.org_import import import_organizations
from tests.factories import MEMBER_HEADER, MEMBERS, ORG_HEADER, ORGS, write_csv, write_district


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIEMDIEM_LANG", "en")


def _import(engine: Engine, orgs: Path, members: Path) -> None:
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs, members_csv=members)


def _rejected(engine: Engine, orgs: Path, members: Path) -> list[str]:
    with pytest.raises(ImportRejected) as rejected:
        _import(engine, orgs, members)
    return rejected.value.problems


def _counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        return (
            session.exec(select(func.count()).select_from(Organization)).one(),
            session.exec(select(func.count()).select_from(Member)).one(),
        )


def _with(rows: list[dict[str, str]], index: int, **changes: str) -> list[dict[str, str]]:
    out = [dict(r) for r in rows]
    out[index].update(changes)
    return out


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\r", "U+000D"),
        ("\n", "U+000A"),
        ("\x00", "U+0000"),
        ("\u2028", "U+2028 (LINE SEPARATOR)"),
        ("\u2029", "U+2029"),
        ("\x1b", "U+001B"),
        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ],
)
def test_a_control_character_in_any_field_is_refused_at_its_line(
    engine: Engine, tmp_path: Path, char: str, shown: str
) -> None:
    orgs = _with(ORGS, 4, name=f"Chi bộ{char}thôn 1")
    people = _with(MEMBERS, 2, full_name=f"Nguyễn{char}A3")
    problems = _rejected(engine, *write_district(tmp_path, orgs, people))
    assert f"organizations.csv:6: name holds {shown}" in "\n".join(problems)
    assert f"members.csv:4: full_name holds {shown}" in "\n".join(problems)
    assert _counts(engine) == (0, 0)


@pytest.mark.parametrize("code", ["G1/X", "G1:X", "G 1", "-G1", "G1,X", "Ğ1"])
def test_a_code_with_a_character_the_tree_uses_is_refused(
    district: Engine, tmp_path: Path, code: str
) -> None:
    orgs = [*ORGS, {**ORGS[4], "code": code}]
    people = [*MEMBERS, {**MEMBERS[2], "code": code, "organization_code": "C1"}]
    problems = "\n".join(_rejected(district, *write_district(tmp_path, orgs, people)))
    assert f"organizations.csv:{len(ORGS) + 2}: code {code!r} may hold only letters" in problems
    assert f"members.csv:{len(MEMBERS) + 2}: code {code!r} may hold only" in problems
    assert _counts(district) == (len(ORGS), len(MEMBERS))


def test_rows_with_more_or_fewer_fields_than_the_header_are_refused(
    engine: Engine, tmp_path: Path
) -> None:
    orgs, members = write_district(tmp_path)
    lines = orgs.read_text(encoding="utf-8").splitlines()
    lines[4] += ",extra@example.vn"  # one field too many: a stray comma in a name
    lines[5] = lines[5].rsplit(",", 1)[0]  # one too few
    orgs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = _rejected(engine, orgs, members)
    header = len(ORG_HEADER)
    assert f"organizations.csv:5: {header + 1} fields where the header has {header}" in (
        "\n".join(problems)
    )
    assert f"organizations.csv:6: {header - 1} fields where the header has {header}" in (
        "\n".join(problems)
    )
    assert _counts(engine) == (0, 0)


def test_an_oversize_field_is_reported_as_field_too_long(engine: Engine, tmp_path: Path) -> None:
    orgs, members = write_district(tmp_path)
    text = orgs.read_text(encoding="utf-8").splitlines()
    text.insert(3, 'X1,"' + "A" * 200_000 + '",cell,G1,')  # past the csv module's own limit
    orgs.write_text("\n".join(text) + "\n", encoding="utf-8")
    problems = _rejected(engine, orgs, members)
    assert problems[0].startswith("organizations.csv:4: field too long")
    assert _counts(engine) == (0, 0)


def test_a_name_longer_than_its_limit_says_the_limit(engine: Engine, tmp_path: Path) -> None:
    orgs = _with(ORGS, 4, name="A" * 201)
    people = _with(MEMBERS, 2, full_name="B" * 300)
    problems = "\n".join(_rejected(engine, *write_district(tmp_path, orgs, people)))
    assert "organizations.csv:6: name is 201 characters long; at most 200" in problems
    assert "members.csv:4: full_name is 300 characters long; at most 200" in problems


def test_a_directory_or_an_unreadable_file_is_named(engine: Engine, tmp_path: Path) -> None:
    orgs, members = write_district(tmp_path)
    folder = tmp_path / "a-folder.csv"
    folder.mkdir()
    assert _rejected(engine, folder, members) == [f"{folder}: is a directory, not a CSV file"]
    inside_a_file = members / "members.csv"  # the OS refuses to read it (not a directory)
    assert _rejected(engine, orgs, inside_a_file) == [
        f"{inside_a_file}: cannot be read (Not a directory)"
    ]
    if os.geteuid() != 0:  # root reads any file
        members.chmod(0)
        assert _rejected(engine, orgs, members) == [
            f"{members}: cannot be read (Permission denied)"
        ]
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert _rejected(engine, empty, write_csv(tmp_path / "m.csv", MEMBER_HEADER, MEMBERS))[
        0
    ].startswith("empty.csv:1: the file is empty")


def test_a_header_with_a_column_twice_is_refused(engine: Engine, tmp_path: Path) -> None:
    _o, members = write_district(tmp_path)
    orgs = write_csv(tmp_path / "organizations.csv", [*ORG_HEADER, "email"], ORGS)
    problems = _rejected(engine, orgs, members)
    assert "organizations.csv:1: column 'email' appears twice" in problems


def test_turning_an_organization_with_children_into_a_cell_is_refused(
    district: Engine, tmp_path: Path
) -> None:
    # G1 keeps its cells (C1, C2 are not in this file): a cell cannot have them under it.
    orgs = [_with(ORGS, 2, level="cell")[i] for i in (0, 1, 2)]
    problems = _rejected(district, *write_district(tmp_path, orgs, []))
    assert any(
        p.startswith("organizations.csv:4: 'G1' cannot become a cell: 'C1', a cell already")
        for p in problems
    ), problems
    with session_scope(district) as session:
        g1 = session.exec(select(Organization).where(Organization.code == "G1")).one()
        assert g1.level == "grassroots"


def test_putting_a_cell_above_an_organization_is_refused(district: Engine, tmp_path: Path) -> None:
    # G2 moved under the cell C1 by a re-import that lists only G2.
    g2 = next(o for o in ORGS if o["code"] == "G2")
    problems = _rejected(district, *write_district(tmp_path, [{**g2, "parent_code": "C1"}], []))
    assert problems[0] == "organizations.csv:2: a grassroots cannot be under 'C1', a cell"
