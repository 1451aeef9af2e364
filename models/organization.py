"""The organization tree and its members, as imported from the district's CSV files."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, func
from sqlmodel import Field, SQLModel

from models._types import UTCDateTime, utcnow


class OrgLevel(StrEnum):
    """Levels of the party organization tree, from the top."""

    PROVINCE = "province"
    DISTRICT = "district"
    GRASSROOTS = "grassroots"
    CELL = "cell"


class OrganizationBase(SQLModel):
    code: str = Field(index=True, unique=True, max_length=64)
    name: str
    level: OrgLevel
    email: str | None = None
    secretary_email: str | None = None


class Organization(OrganizationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    # "/ROOT/CHILD/.../SELF/": subtree queries are a prefix match, no recursion needed.
    path: str = Field(index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class MemberBase(SQLModel):
    code: str = Field(index=True, unique=True, max_length=64)
    full_name: str
    email: str | None = None
    position: str | None = None
    # Comparable positions across the district (e.g. commune chairs, school principals): the
    # level distribution per group shows who is rated unlike their peers.
    position_group: str | None = None


class Member(MemberBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    # The organization this member heads, if any: makes them a leader with a unit of their own.
    leads_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    # The cell where the member lives (chi bộ nơi cư trú), asked for an opinion in peer review.
    residence_id: int | None = Field(default=None, foreign_key="organization.id")
    # The committees the member sits on besides the one they head (members.csv `committees`):
    # organization codes, each alone (its committee) or as CODE:standing (its standing
    # committee), separated by spaces.
    committees: str | None = Field(default=None, max_length=2000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


# Delivery finds who an address belongs to by lower(email) (`states.signin`, for mail whose
# reference names no one): without these, each batch scanned every member of every office.
Index("ix_member_email_lower", func.lower(Member.email))
Index("ix_organization_email_lower", func.lower(Organization.email))
Index(
    "ix_organization_secretary_email_lower",
    func.lower(Organization.secretary_email),
)
