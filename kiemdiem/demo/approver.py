"""How a simulated approving committee decides a day's units within the rules: lower units
first, no level above what the score allows, the cap on excellent per comparable group, and
no head above the collective they lead. The service checks all of it again."""

from __future__ import annotations

from collections import defaultdict

from kiemdiem.demo.world import World
from models import Level, Unit
from states.approval_rules import above, cap_limit
from states.groups import group_of
from states.self_review import allowed_level


def _lower(a: Level, b: Level) -> Level:
    """The lower of two levels."""
    return b if above(a, b) else a


def plan_decisions(world: World, ready: list[Unit]) -> tuple[dict[str, Level], bool]:
    """The levels to decide now (unit code → level), and whether any is below the proposal."""
    final = {u.code: u.final_level for u in world.units if u.final_level is not None}
    batch = {u.code: u for u in ready}
    while True:  # drop units whose prerequisites are neither decided nor decided with them
        blocked = [
            c
            for c, u in batch.items()
            if any(p not in final and p not in batch for p in world.prerequisites(u))
        ]
        if not blocked:
            break
        for code in blocked:
            del batch[code]
    levels: dict[str, Level] = {}
    for code, unit in batch.items():
        level = unit.proposed_level or Level.COMPLETED
        if world.rules.scored and unit.score is not None:
            level = _lower(level, allowed_level(world.rules, unit.score))
        levels[code] = level
    _cap_excellent(world, final, levels, batch)
    for code, unit in batch.items():
        if code.startswith("L:"):
            collective = world.collective(unit)
            if collective is None:
                continue
            cap = levels.get(collective.code) or final.get(collective.code)
            if cap is not None:
                levels[code] = _lower(levels[code], cap)
    lowered = any(levels[c] != (u.proposed_level or Level.COMPLETED) for c, u in batch.items())
    return levels, lowered


def _cap_excellent(
    world: World, final: dict[str, Level], levels: dict[str, Level], batch: dict[str, Unit]
) -> None:
    cap = world.rules.excellent_cap
    if cap is None:
        return
    counts: dict[tuple[str, int], dict[Level, int]] = defaultdict(lambda: defaultdict(int))
    units = world.by_code()
    for code, level in [*final.items(), *levels.items()]:
        group = group_of(units[code], world.directory, world.rules)
        if group is not None:
            counts[group.key][level] += 1
    for code in sorted(batch, key=lambda c: batch[c].score or 0):
        if levels[code] != Level.EXCELLENT:
            continue
        group = group_of(batch[code], world.directory, world.rules)
        if group is None:
            continue
        tally = counts[group.key]
        if tally[Level.EXCELLENT] > cap_limit(tally[Level.GOOD], cap.share_of_good):
            levels[code] = Level.GOOD
            tally[Level.EXCELLENT] -= 1
            tally[Level.GOOD] += 1
