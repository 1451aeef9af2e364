"""The organization tree and its heads in memory: one query, then every walk is a dict lookup.

A district has a few hundred organizations and a province a few thousand, so the tree fits;
members stay in the database and are read per question.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from models.organization import Member, Organization, OrgLevel

# Per database URL: (version key, directory). Imports bump updated_at, which changes the key.
_CACHE: dict[str, tuple[tuple[Any, ...], Directory]] = {}


@dataclass(frozen=True)
class OrgNode:
    id: int
    code: str
    name: str
    level: OrgLevel
    parent_id: int | None
    path: str
    email: str | None
    secretary_email: str | None


@dataclass
class Directory:
    orgs: dict[int, OrgNode]
    by_code: dict[str, OrgNode]
    children: dict[int, list[int]] = field(default_factory=dict)
    heads: dict[int, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Directory:
        """The tree as it is now; reused while no organization or member has changed."""
        # The newest change of both tables that shape the tree, from their updated_at indexes:
        # an import stamps every row it writes, and rows are never deleted, so any import
        # changes it.
        version = session.exec(
            select(
                select(func.max(Organization.updated_at)).scalar_subquery(),
                select(func.max(Member.updated_at)).scalar_subquery(),
            )
        ).one()
        key = (str(session.get_bind().engine.url), *version)
        cached = _CACHE.get(key[0])
        if cached is not None and cached[0] == key:
            return cached[1]
        directory = cls._read(session)
        _CACHE[key[0]] = (key, directory)
        return directory

    @classmethod
    def _read(cls, session: Session) -> Directory:
        # Plain columns, not ORM objects: every action loads the tree, so this must be cheap.
        o = Organization
        rows = session.execute(
            sa_select(
                col(o.id),
                col(o.code),
                col(o.name),
                col(o.level),
                col(o.parent_id),
                col(o.path),
                col(o.email),
                col(o.secretary_email),
            )
        )
        nodes = [OrgNode(*row) for row in rows]
        children: dict[int, list[int]] = defaultdict(list)
        for node in nodes:
            if node.parent_id is not None:
                children[node.parent_id].append(node.id)
        heads: dict[int, list[int]] = defaultdict(list)
        led = session.exec(
            select(Member.id, Member.leads_id).where(col(Member.leads_id).is_not(None))
        )
        for member_id, leads_id in led:
            if member_id is not None and leads_id is not None:
                heads[leads_id].append(member_id)
        return cls({n.id: n for n in nodes}, {n.code: n for n in nodes}, children, heads)

    def lineage(self, org_id: int) -> Iterator[OrgNode]:
        """The organization itself, then each one above it up to the root."""
        node: OrgNode | None = self.orgs[org_id]
        while node is not None:
            yield node
            node = self.orgs.get(node.parent_id) if node.parent_id is not None else None

    def parent(self, org_id: int) -> OrgNode | None:
        parent_id = self.orgs[org_id].parent_id
        return self.orgs[parent_id] if parent_id is not None else None

    def approving(self, org_id: int) -> OrgNode:
        """The committee that decides levels for units reviewed in `org_id`."""
        return self.parent(org_id) or self.orgs[org_id]

    def address(self, org_id: int, attribute: str) -> tuple[str, OrgNode] | None:
        """The nearest `email`/`secretary_email` from this organization upwards."""
        for node in self.lineage(org_id):
            value = getattr(node, attribute)
            if value:
                return value, node
        return None

    def committee(self, org_id: int) -> set[int]:
        """Members who sit on an organization's committee: its heads and its children's heads."""
        members = set(self.heads.get(org_id, []))
        for child in self.children.get(org_id, []):
            members.update(self.heads.get(child, []))
        return members

    def leads_within(self, member_leads_id: int | None, org_id: int) -> bool:
        """Whether a member heads `org_id` or one of the organizations above it."""
        if member_leads_id is None:
            return False
        return any(node.id == member_leads_id for node in self.lineage(org_id))

    def in_subtree(self, org_id: int, root_id: int) -> bool:
        return self.orgs[org_id].path.startswith(self.orgs[root_id].path)

    def rollup(self, org_id: int) -> OrgNode:
        """The grassroots organization a unit's counts roll up to (itself if higher)."""
        for node in self.lineage(org_id):
            if node.level in (OrgLevel.GRASSROOTS, OrgLevel.DISTRICT, OrgLevel.PROVINCE):
                return node
        return self.orgs[org_id]
