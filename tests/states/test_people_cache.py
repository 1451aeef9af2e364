"""The signed-in person is remembered between pages while the tree and the running cycles
stay as they are, and is read again as soon as a re-import changes them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from models import get_engine, init_db, session_scope
from models.org_import import import_organizations
from states.people import Role, person
from tests.factories import MEMBERS, write_district


def _import(engine: Engine, tmp_path: Path, members: list[dict[str, str]]) -> None:
    orgs_csv, members_csv = write_district(tmp_path, members=members)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)


def test_a_reimport_changes_who_a_signed_in_person_is(sqlite_url: str, tmp_path: Path) -> None:
    engine = get_engine(sqlite_url)
    init_db(engine)
    _import(engine, tmp_path, MEMBERS)
    with session_scope(engine) as session:
        first = person(session, "m:A3")
    with session_scope(engine) as session:
        again = person(session, "m:A3")
    assert again is first  # nothing changed: remembered, not read again
    assert first.roles == {Role.MEMBER} and first.name == "Nguyễn Văn A3"

    # A3 now heads cell C1 (instead of A1), under a corrected name.
    changed = [
        {**m, "leads": "C1", "full_name": "Trần Thị A3"}
        if m["code"] == "A3"
        else {**m, "leads": ""}
        if m["code"] == "A1"
        else m
        for m in MEMBERS
    ]
    _import(engine, tmp_path, changed)
    with session_scope(engine) as session:
        now = person(session, "m:A3")
        before = person(session, "m:A1")
    assert now.roles == {Role.MEMBER, Role.SECRETARY} and now.leads == "C1"
    assert now.name == "Trần Thị A3"
    assert before.roles == {Role.MEMBER} and before.leads is None
