"""Import the organization tree and its members from two CSV files, all or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import bindparam
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlmodel import Session

from models import limits
from models._csv_file import Rows, read_csv
from models._sql import driver_executemany
from models._types import utcnow
from models.errors import ImportRejected
from models.organization import Member, Organization, OrgLevel
from vocabulary import _
from vocabulary.wording.seats import WORDS as SEATS

ORG_COLUMNS = ("code", "name", "level", "parent_code", "email")
MEMBER_COLUMNS = ("code", "full_name", "email", "organization_code")
EMAIL = re.compile(
    r"^[^@\s<>,;:\"()\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,}$"
)
_CODE = re.compile(limits.CODE_PATTERN)
# The longest value each column may hold; a column not named here may hold limits.NAME.
_COLUMN_LIMITS = {
    "code": limits.CODE,
    "parent_code": limits.CODE,
    "organization_code": limits.CODE,
    "leads": limits.CODE,
    "residence": limits.CODE,
    "email": limits.EMAIL,
    "secretary_email": limits.EMAIL,
}
_RANK = {OrgLevel.PROVINCE: 0, OrgLevel.DISTRICT: 1, OrgLevel.GRASSROOTS: 2, OrgLevel.CELL: 3}


@dataclass
class ImportSummary:
    organizations_created: int = 0
    organizations_updated: int = 0
    members_created: int = 0
    members_updated: int = 0


def _check_email(rows: Rows, line: int, column: str, value: str, required: bool) -> None:
    if not value:
        if required:
            rows.add(line, _("{column} is empty").format(column=column))
        return
    if not EMAIL.match(value):
        rows.add(
            line,
            _("{column} {value!r} is not an e-mail address").format(column=column, value=value),
        )


def _check_fields(rows: Rows, code_columns: tuple[str, ...]) -> None:
    """Every value within its column's length; every code of the characters codes may hold."""
    if not rows.rows:
        return
    header = list(rows.rows[0][1])  # every row has the header's columns, in its order
    shortest = min(_COLUMN_LIMITS.get(column, limits.NAME) for column in header)
    codes = [column for column in header if column in code_columns]
    for line, row in rows.rows:
        if max(map(len, row.values())) <= shortest:
            # The usual row: no value can be too long, so only its codes are looked at (in
            # the columns' order, as below).
            for column in codes:
                value = row[column]
                if value and not _CODE.match(value):
                    rows.add(
                        line,
                        _("{column} {value!r} may hold only {allowed}").format(
                            column=column, value=value, allowed=_(limits.CODE_CHARACTERS)
                        ),
                    )
            continue
        for column, value in row.items():
            limit = _COLUMN_LIMITS.get(column, limits.NAME)
            if len(value) > limit:
                rows.add(
                    line,
                    _("{column} is {length} characters long; at most {limit}").format(
                        column=column, length=len(value), limit=limit
                    ),
                )
            elif column in code_columns and value and not _CODE.match(value):
                rows.add(
                    line,
                    _("{column} {value!r} may hold only {allowed}").format(
                        column=column, value=value, allowed=_(limits.CODE_CHARACTERS)
                    ),
                )


def _check_unique(rows: Rows) -> dict[str, int]:
    first_line: dict[str, int] = {}
    for line, row in rows.rows:
        code = row["code"]
        if not code:
            rows.add(line, _("{column} is empty").format(column="code"))
        elif code in first_line:
            rows.add(
                line,
                _("duplicate code {code!r} (first on line {first})").format(
                    code=code, first=first_line[code]
                ),
            )
        else:
            first_line[code] = line
    return first_line


def _validate_orgs(orgs: Rows, existing: dict[str, _Existing]) -> dict[str, str | None]:
    """Check every organization row; return code -> parent code for the merged tree."""
    _check_fields(orgs, ("code", "parent_code"))
    lines = _check_unique(orgs)
    levels = {c: o.level for c, o in existing.items()}
    parent_of: dict[str, str | None] = {}
    by_id = {o.id: o.code for o in existing.values()}
    for code, org in existing.items():
        parent_of[code] = by_id.get(org.parent_id) if org.parent_id else None
    for line, row in orgs.rows:
        if not row["name"]:
            orgs.add(line, _("{column} is empty").format(column="name"))
        try:
            levels[row["code"]] = OrgLevel(row["level"])
        except ValueError:
            allowed = ", ".join(level.value for level in OrgLevel)
            orgs.add(
                line,
                _("level {value!r} is not one of {allowed}").format(
                    value=row["level"], allowed=allowed
                ),
            )
        _check_email(orgs, line, "email", row["email"], required=False)
        _check_email(orgs, line, "secretary_email", row.get("secretary_email", ""), False)
        parent_of[row["code"]] = row["parent_code"] or None
    for line, row in orgs.rows:
        parent = row["parent_code"]
        if parent and parent not in parent_of:
            orgs.add(
                line,
                _(
                    "parent_code {parent!r} is not an organization in this file or already imported"
                ).format(parent=parent),
            )
    _check_levels(orgs, lines, levels, parent_of)
    for code, line in lines.items():
        chain = [code]
        node = parent_of.get(code)
        while node is not None and node in parent_of and node not in chain:
            chain.append(node)
            node = parent_of[node]
        if node is not None and node == code:
            loop = " → ".join([*chain, code])
            orgs.add(line, _("the tree has a cycle: {loop}").format(loop=loop))
    return parent_of


def _check_levels(
    orgs: Rows,
    lines: dict[str, int],
    levels: dict[str, OrgLevel],
    parent_of: dict[str, str | None],
) -> None:
    """Each organization of the tree as it would be (this file over what is imported) below a
    higher level: a cell never has children, so a file that turns an organization with
    children into a cell, or puts anything under a cell, is refused at the row that does it."""
    for code, parent in parent_of.items():
        if parent is None or code not in levels or parent not in levels:
            continue
        child_level, parent_level = levels[code], levels[parent]
        if _RANK[child_level] > _RANK[parent_level]:
            continue
        if code in lines:  # the child's own row places it there
            orgs.add(
                lines[code],
                _("a {child} cannot be under {parent!r}, a {level}").format(
                    child=child_level.value, parent=parent, level=parent_level.value
                ),
            )
        elif parent in lines:  # the parent's row changed its level over existing children
            orgs.add(
                lines[parent],
                _(
                    "{parent!r} cannot become a {level}: {code!r}, a {child} already "
                    "imported, is under it; move {code!r} first (list it in this file with "
                    "another parent_code)"
                ).format(
                    parent=parent, level=parent_level.value, code=code, child=child_level.value
                ),
            )


def _validate_members(members: Rows, org_codes: set[str]) -> None:
    _check_fields(members, ("code", "organization_code", "leads", "residence"))
    _check_unique(members)
    for line, row in members.rows:
        if not row["full_name"]:
            members.add(line, _("{column} is empty").format(column="full_name"))
        _check_email(members, line, "email", row["email"], required=True)
        if row["organization_code"] not in org_codes:
            members.add(
                line,
                _(
                    "organization_code {code!r} is not an organization in organizations.csv "
                    "or already imported"
                ).format(code=row["organization_code"]),
            )
        for column in ("leads", "residence"):
            value = row.get(column, "")
            if value and value not in org_codes:
                members.add(
                    line,
                    _("{column} {value!r} is not an organization").format(
                        column=column, value=value
                    ),
                )
        for seat in committee_seats(row.get("committees") or ""):
            problem = _seat_problem(seat, org_codes)
            if problem is not None:
                members.add(line, problem)


def _seat_problem(seat: str, org_codes: set[str]) -> str | None:
    """Why a seat cannot be taken, in the current language; None if it can."""
    code, _colon, body = seat.partition(":")
    if body.startswith("team="):
        team = body[len("team=") :]
        if not _CODE.match(team) or len(team) > limits.CODE:
            return _(SEATS["seat_bad_team"]).format(
                seat=seat, team=team, allowed=_(limits.CODE_CHARACTERS)
            )
    elif body not in ("", "standing", "inspection"):
        return _(SEATS["seat_bad_body"]).format(seat=seat)
    if code not in org_codes:
        return _(SEATS["seat_unknown_organization"]).format(seat=seat, code=code)
    return None


def committee_seats(value: str) -> list[str]:
    """The seats a `committees` field names, space or ; separated: `CODE` (its committee),
    `CODE:standing`, `CODE:inspection` (its inspection commission) or `CODE:team=NAME` (the
    directing team NAME, which follows CODE)."""
    if not value:
        return []  # most members sit on no committee
    return [s for s in value.replace(";", " ").split() if s]


class _Existing(NamedTuple):
    """An organization already imported, as validation and the upsert need it (a row, not an
    ORM object: a province holds tens of thousands)."""

    id: int
    code: str
    level: OrgLevel
    parent_id: int | None
    path: str


def import_organizations(
    *,
    session: Session,
    organizations_csv: Path,
    members_csv: Path,
) -> ImportSummary:
    """Validate both files completely, then upsert by code; raise ImportRejected on any problem."""
    table = Organization.__table__  # type: ignore[attr-defined]
    existing = {
        row.code: _Existing(*row)
        for row in session.connection().execute(
            sa_select(table.c.id, table.c.code, table.c.level, table.c.parent_id, table.c.path)
        )
    }
    orgs = read_csv(organizations_csv, ORG_COLUMNS)
    members = read_csv(members_csv, MEMBER_COLUMNS)
    parent_of = _validate_orgs(orgs, existing) if not orgs.problems else {}
    if not members.problems and not (orgs.problems and not orgs.rows):
        # (an organizations file that could not be read at all names no organization, so
        # every member row would be "unknown organization": say only what is wrong)
        _validate_members(members, set(parent_of) if parent_of else set(existing))
    problems = orgs.problems + members.problems
    if problems:
        raise ImportRejected(problems)
    summary = _write(session, orgs, members, existing, parent_of, utcnow())
    # The rows changed under the session: what it holds of them is read again when used.
    for instance in list(session.identity_map.values()):
        if isinstance(instance, Organization | Member):
            session.expire(instance)
    return summary


def _paths(parent_of: dict[str, str | None]) -> dict[str, str]:
    """Every organization's path (/TOP/…/CODE/), each computed once."""
    paths: dict[str, str] = {}

    def path(code: str) -> str:
        if code not in paths:
            parent = parent_of.get(code)
            paths[code] = (path(parent) if parent else "/") + code + "/"
        return paths[code]

    for code in parent_of:
        path(code)
    return paths


def _write(
    session: Session,
    orgs: Rows,
    members: Rows,
    existing: dict[str, _Existing],
    parent_of: dict[str, str | None],
    now: datetime,
) -> ImportSummary:
    """Upsert the rows set-based: one INSERT and one UPDATE statement per table, executed for
    many rows (no ORM object per row: a province is 300,000 members). `now` is real time,
    never the cycle clock: the tree's cache is keyed on the newest stamp, which must only
    grow."""
    connection = session.connection()
    org_table = Organization.__table__  # type: ignore[attr-defined]
    member_table = Member.__table__  # type: ignore[attr-defined]
    paths = _paths(parent_of)
    listed = {row["code"]: row for _line, row in orgs.rows}
    summary = ImportSummary(
        organizations_created=sum(code not in existing for code in listed),
        organizations_updated=sum(code in existing for code in listed),
    )
    # Parents first, so each new row finds its parent's id (in the file or already imported).
    created = sorted((c for c in listed if c not in existing), key=lambda c: paths[c].count("/"))
    if created:
        parent_by_code = (
            sa_select(org_table.c.id)
            .where(org_table.c.code == bindparam("parent_code"))
            .scalar_subquery()
        )
        connection.execute(
            sa_insert(org_table).values(parent_id=parent_by_code),
            [
                {**_org_values(listed[c], paths[c], now), "parent_code": parent_of[c]}
                for c in created
            ],
        )
    ids: dict[str, int] = {
        code: id_ for id_, code in connection.execute(sa_select(org_table.c.id, org_table.c.code))
    }
    changed: list[dict[str, object]] = []
    for code, org in existing.items():
        parent = parent_of.get(code)
        parent_id = ids[parent] if parent else None
        if code in listed:
            changed.append(
                {
                    "org_id": org.id,
                    **_org_values(listed[code], paths[code], now),
                    "parent_id": parent_id,
                }
            )
        elif (org.parent_id, org.path) != (parent_id, paths[code]):
            # An ancestor moved: its path did too.
            changed.append({"org_id": org.id, "parent_id": parent_id, "path": paths[code]})
    for keys in {tuple(sorted(c)) for c in changed}:  # one statement per set of columns
        connection.execute(
            sa_update(org_table).where(org_table.c.id == bindparam("org_id")),
            [c for c in changed if tuple(sorted(c)) == keys],
        )
    member_ids: dict[str, int] = {
        code: id_
        for id_, code in connection.execute(sa_select(member_table.c.id, member_table.c.code))
    }
    new_members: list[dict[str, object]] = []
    updated_members: list[dict[str, object]] = []
    for _line, row in members.rows:
        leads, residence = row.get("leads"), row.get("residence")
        values: dict[str, object] = {
            "full_name": row["full_name"],
            "email": row["email"],
            "position": row.get("position") or None,
            "position_group": row.get("position_group") or None,
            "organization_id": ids[row["organization_code"]],
            "leads_id": ids[leads] if leads else None,
            "residence_id": ids[residence] if residence else None,
            "committees": " ".join(committee_seats(row.get("committees") or "")) or None,
            "updated_at": now,
        }
        member_id = member_ids.get(row["code"])
        if member_id is None:
            new_members.append({"code": row["code"], **values})
        else:
            updated_members.append({"member_id": member_id, **values})
    if new_members and connection.dialect.name == "sqlite":
        # Straight to the driver: SQLAlchemy binding 300,000 rows was a third of the import.
        columns = _MEMBER_COLUMNS
        values_of = itemgetter(*columns)  # a row's values in the columns' order, in C
        rows = (values_of(m) for m in new_members)
        driver_executemany(connection, sa_insert(member_table), columns, rows)
    elif new_members:
        connection.execute(sa_insert(member_table), new_members)
    if updated_members:
        connection.execute(
            sa_update(member_table).where(member_table.c.id == bindparam("member_id")),
            updated_members,
        )
    summary.members_created, summary.members_updated = len(new_members), len(updated_members)
    return summary


# A new member's columns, in the table's order (see `driver_executemany`).
_MEMBER_COLUMNS = (
    "code",
    "full_name",
    "email",
    "position",
    "position_group",
    "organization_id",
    "leads_id",
    "residence_id",
    "committees",
    "updated_at",
)


def _org_values(row: dict[str, str], path: str, now: datetime) -> dict[str, object]:
    return {
        "code": row["code"],
        "name": row["name"],
        "level": OrgLevel(row["level"]),
        "email": row["email"] or None,
        "secretary_email": row.get("secretary_email") or None,
        "path": path,
        "updated_at": now,
    }
