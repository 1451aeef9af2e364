"""Comparable positions: the levels of people in equivalent positions across the district
(all commune chairs, all school principals: members.csv `position_group`), with the outliers.

Beside the cap's comparable groups (which compare within one organization), these compare
one kind of post across organizations. An outlier is rated two or more levels away from the
group's median, or at a level fewer than one in ten of the group share.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from models.cycle import Level, UnitKind
from states.insights._rows import CycleRows, UnitRow

_RANK = {Level.EXCELLENT: 0, Level.GOOD: 1, Level.COMPLETED: 2, Level.NOT_COMPLETED: 3}
MIN_GROUP = 5
RARE = 0.1


def comparison(rows: CycleRows) -> list[dict[str, Any]]:
    """Per position group: how many at each level, and the outliers."""
    groups: dict[str, list[UnitRow]] = defaultdict(list)
    for unit in rows.units:
        if unit.position_group and unit.kind in (UnitKind.MEMBER.value, UnitKind.LEADER.value):
            groups[unit.position_group].append(unit)
    out = []
    for name, units in sorted(groups.items()):
        rated = [u for u in units if u.level is not None]
        counts = Counter(u.level for u in rated)
        ranks = sorted(_RANK[u.level] for u in rated if u.level is not None)
        median = ranks[len(ranks) // 2] if ranks else None
        outliers = []
        if len(rated) >= MIN_GROUP and median is not None:
            for u in rated:
                assert u.level is not None
                far = abs(_RANK[u.level] - median) >= 2
                rare = counts[u.level] / len(rated) < RARE and _RANK[u.level] != median
                if far or rare:
                    outliers.append(
                        {
                            "unit": u.code,
                            "name": u.name,
                            "organization": rows.directory.orgs[u.org_id].code,
                            "position": u.position,
                            "level": u.level.value,
                            "group_share": round(counts[u.level] / len(rated), 3),
                        }
                    )
        out.append(
            {
                "position_group": name,
                "units": len(units),
                "rated": len(rated),
                "levels": {level.value: counts.get(level, 0) for level in Level},
                "median": next((lv.value for lv, r in _RANK.items() if r == median), None),
                "organizations": sorted({rows.directory.orgs[u.org_id].code for u in units}),
                "outliers": sorted(outliers, key=lambda o: (o["organization"], o["unit"])),
            }
        )
    return out
