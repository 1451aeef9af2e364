"""Comparable groups: the units a rule set compares with each other (the cap on excellent).

A unit belongs to the group of the organization at the rule set's group level for its kind,
looked up from where the unit is reviewed: a member from its cell, a collective from the
organization above it (an organization is compared with its peers, not with itself).
"""

from __future__ import annotations

from dataclasses import dataclass

from models.cycle import Unit, UnitKind
from models.organization import OrgLevel
from states.directory import Directory, OrgNode
from states.rule_set import RuleSet
from vocabulary import _
from vocabulary.names import KINDS
from vocabulary.wording.approval_rules import GROUP_LABEL

_RANK = {OrgLevel.PROVINCE: 0, OrgLevel.DISTRICT: 1, OrgLevel.GRASSROOTS: 2, OrgLevel.CELL: 3}


@dataclass(frozen=True)
class Group:
    """Units of one kind compared within one organization."""

    kind: UnitKind
    org: OrgNode

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind.value, self.org.id)

    def fields(self) -> dict[str, str]:
        """The group as a refusal's fields: its kind (a stored value) and organization."""
        return {"kind": self.kind.value, "org": self.org.code, "name": self.org.name}

    def label(self) -> str:
        """The group's name in the current language, e.g. "member units within C1 (…)"."""
        return _(GROUP_LABEL).format(
            kind=KINDS.name(self.kind.value), org=self.org.code, name=self.org.name
        )


def group_of(unit: Unit, directory: Directory, rules: RuleSet) -> Group | None:
    """The comparable group of `unit`, or None when the rule set has no cap on excellent."""
    if rules.excellent_cap is None:
        return None
    level = OrgLevel(rules.excellent_cap.group_level(unit.kind.value))
    start = unit.organization_id
    if unit.kind.is_collective:
        parent = directory.parent(start)
        start = parent.id if parent else start
    chosen = directory.orgs[start]
    for node in directory.lineage(start):
        chosen = node
        if _RANK[node.level] <= _RANK[level]:
            break
    return Group(unit.kind, chosen)
