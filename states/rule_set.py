"""Rule sets are data: a YAML file per rule set, shipped in states/rule_sets/ or added by an
office in KIEMDIEM_RULE_SETS_DIR, validated completely, every problem naming its key."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.cycle import Level
from models.errors import RuleSetInvalid
from states._keys import key_path, pydantic_problem
from vocabulary import _

SHIPPED = Path(__file__).parent / "rule_sets"


class VoteRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # More than this share of the eligible voters must vote once the vote's due time has passed.
    quorum: float = Field(gt=0, le=1)
    # A level carries when more than this share of the ballots supports it (or a higher one).
    majority: float = Field(ge=0.5, lt=1)
    ballot: Literal["open", "secret"]


GroupLevel = Literal["cell", "grassroots", "district", "province"]


class CapGroups(BaseModel):
    """Per kind of unit, the organization level within which units are compared: members
    within each grassroots organization, for instance, and cells' collectives within it too."""

    model_config = ConfigDict(extra="forbid")

    member: GroupLevel
    leader: GroupLevel
    organization: GroupLevel
    leadership: GroupLevel


class ExcellentCap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Excellent may be at most this share of those rated good, in each comparable group.
    share_of_good: float = Field(ge=0, le=1)
    # One level for every kind of unit, or one per kind.
    group: GroupLevel | CapGroups

    def group_level(self, kind: str) -> str:
        return self.group if isinstance(self.group, str) else str(getattr(self.group, kind))


class RuleSet(BaseModel):
    """What a cycle's rules say; the ordering rules and checks of issue #3 read it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    levels: list[Level] = Field(min_length=2)
    criteria: list[str] = Field(default_factory=list)
    scored: bool
    score_bands: dict[Level, int] | None = None
    excellent_cap: ExcellentCap | None = None
    excellent_requires_all_remedied: bool = False
    vote: VoteRules

    @model_validator(mode="after")
    def _bands(self) -> RuleSet:
        if self.scored and not self.score_bands:
            raise ValueError(_("score_bands are required when scored is true"))
        if self.score_bands:
            ordered = [self.score_bands[level] for level in Level if level in self.score_bands]
            if ordered != sorted(ordered, reverse=True):
                raise ValueError(_("score_bands must fall from excellent to completed"))
        return self


def rule_set_dirs() -> list[Path]:
    """Where rule sets are found: an office's own directory first, then the shipped ones."""
    own = os.environ.get("KIEMDIEM_RULE_SETS_DIR")
    return [Path(own), SHIPPED] if own else [SHIPPED]


def known_rule_sets() -> set[str]:
    return {p.stem for d in rule_set_dirs() if d.is_dir() for p in d.glob("*.yaml")}


def parse_rule_set(data: Any, *, source: str) -> RuleSet:
    if not isinstance(data, dict):
        raise RuleSetInvalid([f"{source}: a rule set must be a mapping of keys (name, levels, …)"])
    try:
        rules = RuleSet.model_validate(data)
    except ValidationError as exc:
        raise RuleSetInvalid(
            [f"{source}: {key_path(e['loc'])}: {pydantic_problem(e)}" for e in exc.errors()]
        ) from None
    if rules.name != Path(source).stem:
        raise RuleSetInvalid([f"{source}: name: {rules.name!r} is not the file's name"])
    return rules


@lru_cache(maxsize=64)
def _read_yaml(path: str, mtime_ns: int, size: int) -> Any:
    """A rule-set file's YAML, read again only when the file changes (its time or size): every
    launch and plan check loads a rule set, and parsing YAML is most of that. The model is built
    afresh from it each time, so no caller shares one."""
    return yaml.safe_load(Path(path).read_text(encoding="utf-8-sig"))


def load_rule_set(name: str) -> RuleSet:
    """The named rule set; an office's own file of that name wins over a shipped one."""
    for directory in rule_set_dirs():
        path = directory / f"{name}.yaml"
        if path.is_file():
            stat = path.stat()
            try:
                data = _read_yaml(str(path), stat.st_mtime_ns, stat.st_size)
            except yaml.YAMLError as exc:
                raise RuleSetInvalid([f"{path.name}: not valid YAML: {exc}"]) from None
            return parse_rule_set(data, source=path.name)
    known = ", ".join(sorted(known_rule_sets()))
    raise RuleSetInvalid([f"no rule set {name!r}; known: {known}"])
