"""Rule sets are data: one YAML file per rule set, chosen by name in the plan."""

from __future__ import annotations

from pathlib import Path

RULE_SET_DIR = Path(__file__).parent


def known_rule_sets() -> set[str]:
    """Names of the rule sets shipped with the product."""
    return {p.stem for p in RULE_SET_DIR.glob("*.yaml")}
