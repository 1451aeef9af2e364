"""How a simulated approving committee decides a day's units within the rules: lower units
first, no level above what the score allows, the cap on excellent per comparable group, and
no head above the collective they lead. The service checks all of it again."""

from __future__ import annotations

from collections import defaultdict

from kiemdiem.demo.world import World
from models import Level, Unit
from states.groups import group_of

_ORDER = list(Level)  # from excellent down


def _lower(a: Level, b: Level) -> Level:
    return a if _ORDER.index(a) >= _ORDER.index(b) else b


def plan_decisions(world: World, ready: list[Unit]) -> tuple[dict[str, Level], bool]:
    """The levels to decide now (unit code → level), and whether any is below the proposal."""
    units = world.by_code()
    final = {u.code: u.final_level for u in world.units if u.final_level is not None}
    batch = {u.code: u for u in ready}
    while True:  # drop units whose prerequisites are neither decided nor decided with them
        blocked = [
            c
            for c, u in batch.items()
            if any(p in units and p not in final and p not in batch for p in world.prerequisites(u))
        ]
        if not blocked:
            break
        for code in blocked:
            del batch[code]
    levels: dict[str, Level] = {}
    for code, unit in batch.items():
        level = unit.proposed_level or Level.COMPLETED
        if world.rules.score_bands and unit.score is not None:
            allowed = next(
                (lv for lv, band in world.rules.score_bands.items() if unit.score >= band),
                Level.NOT_COMPLETED,
            )
            level = _lower(level, allowed)
        levels[code] = level
    _cap_excellent(world, final, levels, batch)
    for code, unit in batch.items():
        if code.startswith("L:"):
            collective = world.collective_code(unit)
            cap = levels.get(collective) or final.get(collective)
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
        # Whole percentages keep 20% of 5 at exactly 1 (0.2 * 5 is not 1.0 in floats).
        allowed = round(cap.share_of_good * 100) * tally[Level.GOOD] // 100
        if tally[Level.EXCELLENT] > allowed:
            levels[code] = Level.GOOD
            tally[Level.EXCELLENT] -= 1
            tally[Level.GOOD] += 1
