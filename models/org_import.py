"""Import the organization tree and its members from two CSV files, all or nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from models import limits
from models._csv_file import Rows, read_csv
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
    for line, row in rows.rows:
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


def _validate_orgs(orgs: Rows, existing: dict[str, Organization]) -> dict[str, str | None]:
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
    return [s for s in value.replace(";", " ").split() if s]


def import_organizations(
    *,
    session: Session,
    organizations_csv: Path,
    members_csv: Path,
) -> ImportSummary:
    """Validate both files completely, then upsert by code; raise ImportRejected on any problem."""
    existing = {o.code: o for o in session.exec(select(Organization)).all()}
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
    return _write(session, orgs, members, existing, parent_of, utcnow())


def _write(
    session: Session,
    orgs: Rows,
    members: Rows,
    existing: dict[str, Organization],
    parent_of: dict[str, str | None],
    now: datetime,
) -> ImportSummary:
    """Upsert the rows; `now` is real time, never the cycle clock: the tree's cache is keyed
    on the newest stamp, which must only grow."""
    summary = ImportSummary()
    by_code = dict(existing)
    for _line, row in orgs.rows:
        org = by_code.get(row["code"])
        if org is None:
            org = Organization(code=row["code"], name="", level=OrgLevel.CELL, path="")
            by_code[row["code"]] = org
            summary.organizations_created += 1
        else:
            summary.organizations_updated += 1
        org.name, org.level = row["name"], OrgLevel(row["level"])
        org.email = row["email"] or None
        org.secretary_email = row.get("secretary_email") or None
        org.updated_at = now
        session.add(org)
    session.flush()  # ids for new organizations

    def path(code: str) -> str:
        parent = parent_of.get(code)
        return (path(parent) if parent else "/") + code + "/"

    for code, org in by_code.items():
        parent = parent_of.get(code)
        org.parent_id = by_code[parent].id if parent else None
        org.path = path(code)
    existing_members = {m.code: m for m in session.exec(select(Member)).all()}
    for _line, row in members.rows:
        member = existing_members.get(row["code"])
        if member is None:
            member = Member(code=row["code"], full_name="", organization_id=0)
            summary.members_created += 1
        else:
            summary.members_updated += 1
        member.full_name, member.email = row["full_name"], row["email"]
        member.position = row.get("position") or None
        member.position_group = row.get("position_group") or None
        member.organization_id = by_code[row["organization_code"]].id  # type: ignore[assignment]
        leads = row.get("leads")
        member.leads_id = by_code[leads].id if leads else None
        residence = row.get("residence")
        member.residence_id = by_code[residence].id if residence else None
        member.committees = " ".join(committee_seats(row.get("committees") or "")) or None
        member.updated_at = now
        session.add(member)
    session.flush()
    return summary
