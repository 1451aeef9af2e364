"""Organization import: every error class with file:line, nothing written, and upserts."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from models import ImportRejected, Member, Organization, session_scope
from models.org_import import import_organizations
from tests.factories import (
    MEMBER_HEADER,
    MEMBERS,
    ORG_HEADER,
    ORGS,
    member,
    write_csv,
    write_district,
)


def _import(engine: Engine, orgs: Path, members: Path) -> None:
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs, members_csv=members)


def _counts(engine: Engine) -> tuple[int, int]:
    with session_scope(engine) as session:
        return (
            session.exec(select(func.count()).select_from(Organization)).one(),
            session.exec(select(func.count()).select_from(Member)).one(),
        )


def test_imports_the_tree_with_paths_and_leaders(engine: Engine, tmp_path: Path) -> None:
    _import(engine, *write_district(tmp_path))
    with session_scope(engine) as session:
        c1 = session.exec(select(Organization).where(Organization.code == "C1")).one()
        a2 = session.exec(select(Member).where(Member.code == "A2")).one()
        g1 = session.exec(select(Organization).where(Organization.code == "G1")).one()
        assert c1.path == "/P/D/G1/C1/"
        assert c1.parent_id == g1.id
        assert a2.leads_id == g1.id and a2.organization_id == c1.id
        assert a2.full_name == "Nguyễn Văn A2"
    assert _counts(engine) == (len(ORGS), len(MEMBERS))


def test_a_bom_and_vietnamese_names_survive(engine: Engine, tmp_path: Path) -> None:
    orgs = write_csv(tmp_path / "o.csv", ORG_HEADER, ORGS, bom=True)
    people = [member("X1", "C1", name="Trần Thị Ánh Tuyết"), *MEMBERS]
    members = write_csv(tmp_path / "m.csv", MEMBER_HEADER, people, bom=True)
    _import(engine, orgs, members)
    with session_scope(engine) as session:
        assert (
            session.exec(select(Member.full_name).where(Member.code == "X1")).one()
            == "Trần Thị Ánh Tuyết"
        )
        assert (
            session.exec(select(Organization.name).where(Organization.code == "G1")).one()
            == "Đảng ủy xã Thanh Sơn"
        )


def test_reimport_updates_in_place(engine: Engine, tmp_path: Path) -> None:
    _import(engine, *write_district(tmp_path))
    orgs = [dict(o) for o in ORGS]
    orgs[4]["name"], orgs[4]["parent_code"] = "Chi bộ thôn 1 (mới)", "G2"
    people = [dict(m) for m in MEMBERS]
    people[2]["email"] = "a3.new@example.vn"
    _import(engine, *write_district(tmp_path, orgs, people))
    assert _counts(engine) == (len(ORGS), len(MEMBERS))
    with session_scope(engine) as session:
        c1 = session.exec(select(Organization).where(Organization.code == "C1")).one()
        assert (c1.name, c1.path) == ("Chi bộ thôn 1 (mới)", "/P/D/G2/C1/")
        assert (
            session.exec(select(Member.email).where(Member.code == "A3")).one()
            == "a3.new@example.vn"
        )


def _with(rows: list[dict[str, str]], index: int, **changes: str) -> list[dict[str, str]]:
    out = [dict(r) for r in rows]
    out[index].update(changes)
    return out


ORG_ERRORS = [
    (
        "unknown parent",
        _with(ORGS, 4, parent_code="NOPE"),
        "organizations.csv:6: parent_code 'NOPE' is not an organization",
    ),
    (
        "duplicate code",
        [*ORGS, dict(ORGS[4])],
        "organizations.csv:9: duplicate code 'C1' (first on line 6)",
    ),
    (
        "bad email",
        _with(ORGS, 2, email="g1-at-example"),
        "organizations.csv:4: email 'g1-at-example' is not an e-mail address",
    ),
    (
        "bad secretary email",
        _with(ORGS, 2, secretary_email="a b@x.vn"),
        "organizations.csv:4: secretary_email 'a b@x.vn' is not an e-mail address",
    ),
    (
        "bad level",
        _with(ORGS, 2, level="commune"),
        "organizations.csv:4: level 'commune' is not one of province, district, grassroots, cell",
    ),
    (
        "level under a lower one",
        _with(ORGS, 3, parent_code="C1"),
        "organizations.csv:5: a grassroots cannot be under 'C1', a cell",
    ),
]


@pytest.mark.parametrize(("_name", "orgs", "expected"), ORG_ERRORS, ids=[e[0] for e in ORG_ERRORS])
def test_organization_errors_name_file_and_line_and_write_nothing(
    english: None,
    engine: Engine,
    tmp_path: Path,
    _name: str,
    orgs: list[dict[str, str]],
    expected: str,
) -> None:
    with pytest.raises(ImportRejected) as rejected:
        _import(engine, *write_district(tmp_path, orgs))
    assert expected in rejected.value.problems[0]
    assert "nothing was imported" in str(rejected.value)
    assert _counts(engine) == (0, 0)


def test_a_cycle_in_the_tree_is_refused(english: None, engine: Engine, tmp_path: Path) -> None:
    orgs = [
        {"code": "X", "name": "X", "level": "grassroots", "parent_code": "Y", "email": ""},
        {"code": "Y", "name": "Y", "level": "grassroots", "parent_code": "X", "email": ""},
    ]
    with pytest.raises(ImportRejected) as rejected:
        _import(engine, *write_district(tmp_path, orgs, []))
    text = str(rejected.value)
    assert "organizations.csv:2: the tree has a cycle: X → Y → X" in text
    assert "organizations.csv:3: the tree has a cycle: Y → X → Y" in text
    assert _counts(engine) == (0, 0)


def test_a_missing_column_is_named(english: None, engine: Engine, tmp_path: Path) -> None:
    orgs = write_csv(tmp_path / "organizations.csv", ["code", "name", "level", "email"], ORGS)
    members = write_csv(
        tmp_path / "members.csv", ["code", "full_name", "organization_code"], MEMBERS
    )
    with pytest.raises(ImportRejected) as rejected:
        _import(engine, orgs, members)
    assert rejected.value.problems == [
        "organizations.csv:1: missing column(s) parent_code",
        "members.csv:1: missing column(s) email",
    ]


MEMBER_ERRORS = [
    (
        "unknown organization",
        _with(MEMBERS, 2, organization_code="C9"),
        "members.csv:4: organization_code 'C9' is not an organization",
    ),
    (
        "bad email",
        _with(MEMBERS, 2, email="nobody"),
        "members.csv:4: email 'nobody' is not an e-mail address",
    ),
    ("empty email", _with(MEMBERS, 2, email=""), "members.csv:4: email is empty"),
    (
        "duplicate code",
        [*MEMBERS, dict(MEMBERS[0])],
        f"members.csv:{len(MEMBERS) + 2}: duplicate code 'A1' (first on line 2)",
    ),
    (
        "unknown leads",
        _with(MEMBERS, 2, leads="ZZ"),
        "members.csv:4: leads 'ZZ' is not an organization",
    ),
]


@pytest.mark.parametrize(
    ("_name", "people", "expected"), MEMBER_ERRORS, ids=[e[0] for e in MEMBER_ERRORS]
)
def test_member_errors_name_file_and_line_and_write_nothing(
    english: None,
    engine: Engine,
    tmp_path: Path,
    _name: str,
    people: list[dict[str, str]],
    expected: str,
) -> None:
    with pytest.raises(ImportRejected) as rejected:
        _import(engine, *write_district(tmp_path, None, people))
    assert [p for p in rejected.value.problems if expected in p]
    assert _counts(engine) == (0, 0)


def test_every_bad_row_is_reported_and_a_bad_reimport_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    _import(engine, *write_district(tmp_path))
    orgs = _with(_with(ORGS, 4, name="Đổi tên", email="bad"), 5, parent_code="NOPE")
    with pytest.raises(ImportRejected) as rejected:
        _import(engine, *write_district(tmp_path, orgs))
    assert len(rejected.value.problems) == 2
    with session_scope(engine) as session:
        assert (
            session.exec(select(Organization.name).where(Organization.code == "C1")).one()
            == "Chi bộ thôn 1"
        )


def test_a_file_that_is_not_utf8_is_refused(english: None, engine: Engine, tmp_path: Path) -> None:
    orgs, members = write_district(tmp_path)
    orgs.write_bytes(
        "code,name\nX,Chi bộ\n".encode("cp1258", errors="replace").replace(b"b", b"\xff")
    )
    with pytest.raises(ImportRejected, match="organizations.csv: not UTF-8"):
        _import(engine, orgs, members)
