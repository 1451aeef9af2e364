"""The organization tree and its heads in memory: one query, then every walk is a dict lookup.

A district has a few hundred organizations and a province a few thousand, so the tree fits;
members stay in the database and are read per question. The pages, actions and launch load
the whole tree (`load`); a tick loads its cycle's part (`for_cycle`) and delivery its batch's
(`around`), so neither reads every office sharing the database (`states._directory_scope`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from models.organization import Member, Organization, OrgLevel
from states._tx_memo import once_per_transaction

if TYPE_CHECKING:
    from models.cycle import Cycle

# Per database URL: (version key, directory). Imports bump updated_at, which changes the key.
_CACHE: dict[str, tuple[tuple[Any, ...], Directory]] = {}
# A cycle's scope (`Directory.for_cycle`), per database URL and cycle id, keyed the same way.
_SCOPED: dict[tuple[str, int], tuple[tuple[Any, ...], Directory]] = {}


def _version(session: Session) -> tuple[Any, ...]:
    # The newest change of both tables that shape the tree, from their updated_at indexes:
    # an import stamps every row it writes, and rows are never deleted, so any import
    # changes it.
    return tuple(
        session.exec(
            select(
                select(func.max(Organization.updated_at)).scalar_subquery(),
                select(func.max(Member.updated_at)).scalar_subquery(),
            )
        ).one()
    )


def _whole_if_current(key: tuple[Any, ...]) -> Directory | None:
    """The whole tree this process holds for the key's database, if the key (URL, version)
    is still its own; a scoped question answers from it too."""
    cached = _CACHE.get(key[0])
    return cached[1] if cached is not None and cached[0] == key else None


# The columns an OrgNode is made of, in its fields' order.
NODE_COLUMNS = (
    col(Organization.id),
    col(Organization.code),
    col(Organization.name),
    col(Organization.level),
    col(Organization.parent_id),
    col(Organization.path),
    col(Organization.email),
    col(Organization.secretary_email),
)


class _Unread(dict[Any, Any]):
    """Seats in a directory that did not read them: any question about them is refused,
    rather than answered "nobody" (a scoped directory reads no member's `committees`)."""

    def __init__(self, scope: str | None) -> None:
        super().__init__()
        self._scope = scope

    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise LookupError(f"committee seats are not read in the directory of {self._scope}")

    __getitem__ = __contains__ = __iter__ = __len__ = get = items = keys = values = _refuse
    __bool__ = _refuse


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
    # Seats imported from members.csv `committees`: org id -> member ids on its committee,
    # and on its standing committee. An organization with seats has exactly those members.
    seats: dict[int, set[int]] = field(default_factory=dict)
    standing: dict[int, set[int]] = field(default_factory=dict)
    # CODE:inspection: org id -> member ids on its inspection commission (UBKT).
    inspection: dict[int, set[int]] = field(default_factory=dict)
    # CODE:team=NAME: team name -> (org ids it follows, member ids on it).
    teams: dict[str, tuple[set[int], set[int]]] = field(default_factory=dict)
    # Member id -> code, for every member the import seats anywhere.
    seated_codes: dict[int, str] = field(default_factory=dict)
    # Each organization's rollup, found on first ask: the tree of one Directory never changes
    # (a new import makes a new one), and a province's tick asks for tens of thousands.
    _rollups: dict[int, OrgNode] = field(default_factory=dict, repr=False, compare=False)
    _addresses: dict[tuple[int, str], tuple[str, OrgNode] | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    # None: the whole tree; else what part of it was read (`for_cycle`, `around`).
    scope: str | None = None

    @classmethod
    def load(cls, session: Session) -> Directory:
        """The tree as it is now; reused while no organization or member has changed, and
        asked again in the same transaction without a query (a page's person, guards, view
        and action each ask) unless that transaction has written either table since."""
        return once_per_transaction(
            session, "directory", ("organization", "member"), lambda: cls._current(session)
        )

    @classmethod
    def _current(cls, session: Session) -> Directory:
        key = (str(session.get_bind().engine.url), *_version(session))
        whole = _whole_if_current(key)
        if whole is not None:
            return whole
        directory = cls._read(session)
        _CACHE[key[0]] = (key, directory)
        return directory

    @classmethod
    def for_cycle(cls, session: Session, cycle: Cycle) -> Directory:
        """What a tick of `cycle` needs of the tree, not the whole of it: the launching
        committee's subtree with every head in it, the organizations above it, and those the
        cycle names outside it (the plan's higher committee and opinion offices, its members'
        residence cells), each with the organizations above it. Inside that scope it answers
        as `load` does; committee seats are not read (asking for them raises). Memoised per
        transaction and cached per process like `load`, under the cycle's own key; a process
        holding the whole tree, current, answers from it."""
        return once_per_transaction(
            session,
            f"directory:cycle:{cycle.id}",
            ("organization", "member"),
            lambda: cls._current_for_cycle(session, cycle),
        )

    @classmethod
    def around(cls, session: Session, org_ids: Iterable[int]) -> Directory:
        """These organizations and every one above them, with their heads: what delivery
        asks when it finds a batch's addresses again (`readdress`, `personalize`). Seats are
        not read; other children of the organizations above are not either. A process
        holding the whole tree, current (the pages' server), answers from it."""
        from states._directory_scope import read_around

        whole = _whole_if_current((str(session.get_bind().engine.url), *_version(session)))
        return whole if whole is not None else read_around(session, sorted(set(org_ids)))

    @classmethod
    def _current_for_cycle(cls, session: Session, cycle: Cycle) -> Directory:
        from states._directory_scope import read_for_cycle

        url = str(session.get_bind().engine.url)
        key = (url, *_version(session))
        whole = _whole_if_current(key)
        if whole is not None:
            return whole
        assert cycle.id is not None
        cached = _SCOPED.get((url, cycle.id))
        if cached is not None and cached[0] == key:
            return cached[1]
        directory = read_for_cycle(session, cycle)
        _SCOPED[(url, cycle.id)] = (key, directory)
        return directory

    @classmethod
    def _read(cls, session: Session) -> Directory:
        # Plain columns, not ORM objects: every action loads the tree, so this must be cheap.
        # On the connection: Core rows, without the ORM's per-row loading (a province's tree
        # is 16,000 organizations and as many heads, read once per process and import).
        connection = session.connection()
        nodes = connection.execute(sa_select(*NODE_COLUMNS))
        led = connection.execute(
            sa_select(col(Member.id), col(Member.leads_id)).where(col(Member.leads_id).is_not(None))
        )
        seated = connection.execute(
            sa_select(col(Member.id), col(Member.code), col(Member.committees)).where(
                col(Member.committees).is_not(None)
            )
        )
        return cls.build(nodes, led, seated)

    @classmethod
    def build(
        cls,
        rows: Iterable[Any],
        led: Iterable[tuple[int | None, int | None]],
        seated: Iterable[tuple[int | None, str, str | None]] | None,
        scope: str | None = None,
    ) -> Directory:
        """The directory of these organization rows (`NODE_COLUMNS`), heads (member id, the
        organization led) and seats (member id, code, committees); `seated` None: seats not
        read (a scoped directory: asking for them raises)."""
        nodes = [OrgNode(*row) for row in rows]
        children: dict[int, list[int]] = defaultdict(list)
        for node in nodes:
            if node.parent_id is not None:
                children[node.parent_id].append(node.id)
        heads: dict[int, list[int]] = defaultdict(list)
        for member_id, leads_id in led:
            if member_id is not None and leads_id is not None:
                heads[leads_id].append(member_id)
        by_code = {n.code: n for n in nodes}
        orgs = {n.id: n for n in nodes}
        if seated is None:
            return cls(
                orgs,
                by_code,
                children,
                heads,
                _Unread(scope),
                _Unread(scope),
                _Unread(scope),
                _Unread(scope),
                _Unread(scope),
                scope=scope,
            )
        seats: dict[int, set[int]] = defaultdict(set)
        standing: dict[int, set[int]] = defaultdict(set)
        inspection: dict[int, set[int]] = defaultdict(set)
        teams: dict[str, tuple[set[int], set[int]]] = {}
        codes: dict[int, str] = {}
        for member_id, member_code, committees in seated:
            if member_id is None:
                continue
            codes[member_id] = member_code
            for seat in (committees or "").split():
                code, _, body = seat.partition(":")
                seat_org = by_code.get(code)
                if seat_org is None:
                    continue
                if body == "standing":
                    standing[seat_org.id].add(member_id)
                elif body == "inspection":
                    inspection[seat_org.id].add(member_id)
                elif body.startswith("team="):
                    followed, on_team = teams.setdefault(body[len("team=") :], (set(), set()))
                    followed.add(seat_org.id)
                    on_team.add(member_id)
                else:
                    seats[seat_org.id].add(member_id)
        for org_id, members in standing.items():
            seats[org_id] |= members  # a standing committee sits on its committee
        return cls(
            orgs,
            by_code,
            children,
            heads,
            dict(seats),
            dict(standing),
            dict(inspection),
            teams,
            codes,
        )

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
        key = (org_id, attribute)
        if key in self._addresses:
            return self._addresses[key]
        # Found from the parent's, itself found once: a province's tick asks of thousands of
        # cells whose answers are their grassroots organization's.
        node = self.orgs[org_id]
        value = getattr(node, attribute)
        if value:
            found: tuple[str, OrgNode] | None = (value, node)
        elif node.parent_id is not None and node.parent_id in self.orgs:
            found = self.address(node.parent_id, attribute)
        else:
            found = None
        self._addresses[key] = found
        return found

    def committee(self, org_id: int) -> set[int]:
        """Members who sit on an organization's committee: its heads and the members the
        import seats on it; where none is seated, its heads and its children's heads."""
        members = set(self.heads.get(org_id, []))
        if org_id in self.seats:
            return members | self.seats[org_id]
        for child in self.children.get(org_id, []):
            members.update(self.heads.get(child, []))
        return members

    def on_standing_committee(self, member_id: int | None, org_id: int) -> bool:
        """Whether the member heads `org_id` or the import seats them on its standing committee."""
        return member_id in self.heads.get(org_id, []) or member_id in self.standing.get(
            org_id, set()
        )

    def inspection_commission(self, org_id: int) -> set[int] | None:
        """The members the import seats on an organization's inspection commission, or None
        where nobody is (the plan's list stands then)."""
        return self.inspection.get(org_id)

    def teams_within(self, root_id: int) -> dict[str, tuple[set[int], set[int]]]:
        """The imported directing teams following organizations in `root_id`'s subtree: name ->
        (those organizations' ids, member ids on the team). Empty where none is imported."""
        found: dict[str, tuple[set[int], set[int]]] = {}
        for name, (followed, members) in self.teams.items():
            inside = {o for o in followed if self.in_subtree(o, root_id)}
            if inside:
                found[name] = (inside, members)
        return found

    def leads_within(self, member_leads_id: int | None, org_id: int) -> bool:
        """Whether a member heads `org_id` or one of the organizations above it."""
        if member_leads_id is None:
            return False
        return any(node.id == member_leads_id for node in self.lineage(org_id))

    def in_subtree(self, org_id: int, root_id: int) -> bool:
        return self.orgs[org_id].path.startswith(self.orgs[root_id].path)

    def rollup(self, org_id: int) -> OrgNode:
        """The grassroots organization a unit's counts roll up to (itself if higher)."""
        found = self._rollups.get(org_id)
        if found is None:
            found = self._rollups[org_id] = self._find_rollup(org_id)
        return found

    def _find_rollup(self, org_id: int) -> OrgNode:
        for node in self.lineage(org_id):
            if node.level in (OrgLevel.GRASSROOTS, OrgLevel.DISTRICT, OrgLevel.PROVINCE):
                return node
        return self.orgs[org_id]
