"""The plan file a launch reads: validated completely before anything is written."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models import limits
from models.errors import PlanInvalid, RuleSetInvalid
from models.org_import import EMAIL
from states._keys import key_path, pydantic_problem
from states._plan_file import control_characters, read_plan_data
from states.machine import STAGES
from states.rule_set import known_rule_sets, load_rule_set
from vocabulary import _

Recipient = Literal["unit", "secretary", "higher", "team", "standing"]
# Dates a plan may name: wide enough for any real cycle, narrow enough that every due time,
# ladder step and return date computed from them stays a representable instant.
EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)
MAX_OFFSET = timedelta(days=365)
_OFFSET = re.compile(r"^(?P<sign>[-+])?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")


def parse_offset(text: str) -> timedelta:
    """'-2d' → two days before; '1d12h' → a day and a half after."""
    match = _OFFSET.match(text.strip())
    if not match or not any(match.group(g) for g in "dhm"):
        raise ValueError(
            _("{text!r} is not an offset; write e.g. -2d, 1d, 12h or 1d12h").format(text=text)
        )
    try:
        delta = timedelta(
            days=int(match["d"] or 0), hours=int(match["h"] or 0), minutes=int(match["m"] or 0)
        )
    except OverflowError:
        delta = MAX_OFFSET * 2
    if delta > MAX_OFFSET:
        raise ValueError(
            _("{text!r} is more than {days} days from the due time").format(
                text=text, days=MAX_OFFSET.days
            )
        )
    return -delta if match["sign"] == "-" else delta


class StageDates(BaseModel):
    """A due date per stage; each date means the end of that local day."""

    model_config = ConfigDict(extra="forbid")

    self_review: date
    peer_review: date
    vote: date
    approval: date

    @field_validator("*")
    @classmethod
    def _in_range(cls, value: date) -> date:
        if not EARLIEST <= value <= LATEST:
            raise ValueError(
                _("{value} is not a date of a cycle; write a date from {first} to {last}").format(
                    value=value, first=EARLIEST.year, last=LATEST.year
                )
            )
        return value

    @model_validator(mode="after")
    def _in_order(self) -> StageDates:
        dates = [getattr(self, s) for s in STAGES]
        for earlier, later, d1, d2 in zip(STAGES, STAGES[1:], dates, dates[1:], strict=False):
            if d2 < d1:
                raise ValueError(
                    _("{later} ({d2}) is before {earlier} ({d1})").format(
                        later=later, d2=d2, earlier=earlier, d1=d1
                    )
                )
        return self

    def as_dict(self) -> dict[str, date]:
        return {s: getattr(self, s) for s in STAGES}


class Pilots(BaseModel):
    organizations: list[str] = Field(min_length=1)
    due: StageDates


class LadderStep(BaseModel):
    at: str
    notify: list[Recipient] = Field(min_length=1)

    @field_validator("at", mode="before")
    @classmethod
    def _offset(cls, value: Any) -> str:
        text = str(value)
        parse_offset(text)
        return text

    @property
    def offset(self) -> timedelta:
        return parse_offset(self.at)


class DirectingTeam(BaseModel):
    """A directing team (tổ chỉ đạo), led by a standing committee member, following some
    organizations: escalations about them copy the team."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=limits.CODE)
    name: str = Field(min_length=1, max_length=limits.NAME)
    email: str | None = None
    lead: str | None = None  # member code of the standing committee member who leads it
    organizations: list[str] = Field(min_length=1)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(_("{value!r} is not an e-mail address").format(value=value))
        return value

    @model_validator(mode="after")
    def _reachable(self) -> DirectingTeam:
        if not self.email and not self.lead:
            raise ValueError(_("give the team an email or a lead (a member code)"))
        return self


class OpinionOffice(BaseModel):
    """An office that works with some organizations' leaders and is asked for its opinion of
    them in their peer review (001_: departments report on their subordinates)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=limits.CODE)
    name: str = Field(min_length=1, max_length=limits.NAME)
    # Where the office is asked; or else its named contact's address (a member code).
    email: str | None = None
    contact: str | None = Field(default=None, max_length=limits.CODE)
    organizations: list[str] = Field(min_length=1)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value):
            raise ValueError(_("{value!r} is not an e-mail address").format(value=value))
        return value

    @model_validator(mode="after")
    def _reachable(self) -> OpinionOffice:
        if not self.email and not self.contact:
            raise ValueError(_("give the office an email, or a contact (a member code), or both"))
        return self


class Opinions(BaseModel):
    """Opinions a peer review waits for, until they arrive or the peer review's due time."""

    model_config = ConfigDict(extra="forbid")

    # Ask each member's residence-area cell (members.csv `residence`).
    residence: bool = True
    offices: list[OpinionOffice] = Field(default_factory=list)


class QuietHours(BaseModel):
    """A daily window (local time) in which only urgent mail is sent, e.g. 21:00 to 06:00."""

    model_config = ConfigDict(extra="forbid")

    start: time
    end: time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _yaml_sexagesimal(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 21:00 as the base-60 number 1260 (minutes).
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return time(*divmod(value, 60))
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError(_("start and end are the same time; leave quiet_hours out instead"))
        return self

    def until(self, local: datetime) -> datetime | None:
        """The local end of the quiet window `local` is in, or None outside it."""
        t, day = local.timetz().replace(tzinfo=None), local.date()
        overnight = self.start > self.end
        inside = (t >= self.start or t < self.end) if overnight else self.start <= t < self.end
        if not inside:
            return None
        if overnight and t >= self.start:
            day += timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=local.tzinfo)


class Plan(BaseModel):
    """A cycle's plan as the launching committee wrote it (extra keys are kept, not used)."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    title: str = Field(min_length=1, max_length=limits.TITLE)
    document: str = Field(min_length=1, max_length=limits.TITLE)
    launched_by: str = Field(min_length=1, max_length=limits.CODE)
    # The committee above the launching one, which decides the launching committee's own
    # collective, leadership and head (default: its parent in the imported tree).
    higher_committee: str | None = Field(default=None, max_length=limits.CODE)
    rule_set: str
    timezone: str = "Asia/Ho_Chi_Minh"
    due: StageDates
    pilots: Pilots | None = None
    escalation: list[LadderStep] = Field(default_factory=list)
    # Days a unit returned for re-review gets to submit again.
    return_days: int = Field(default=7, ge=1, le=365)
    quiet_hours: QuietHours | None = None
    directing_teams: list[DirectingTeam] = Field(default_factory=list)
    # Member codes of the inspection commission (UBKT): they may issue review suggestions and
    # write supervision notes on remediation.
    inspection_commission: list[str] = Field(default_factory=list)
    opinions: Opinions = Field(default_factory=Opinions)
    # The code of last year's cycle for the same organizations: its shortcomings carry over.
    previous_cycle: str | None = None
    # Days after approval that a shortcoming's remediation is due, unless the approver says.
    remediation_days: int = Field(default=90, ge=1, le=3650)
    # Days before a stage's due date from which an organization whose pace will not make it
    # is warned of in the committee's digest (the forecast, states.insights).
    forecast_warning_days: int = Field(default=3, ge=0)

    @model_validator(mode="after")
    def _pilots_earlier(self) -> Plan:
        if self.pilots:
            for stage, pilot_day in self.pilots.due.as_dict().items():
                regular = getattr(self.due, stage)
                if pilot_day > regular:
                    raise ValueError(
                        _(
                            "pilots.due.{stage} ({pilot_day}) is after due.{stage} ({regular}); "
                            "pilots run ahead of everyone else"
                        ).format(stage=stage, pilot_day=pilot_day, regular=regular)
                    )
        return self

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                _("{value!r} is not a time zone; write e.g. Asia/Ho_Chi_Minh").format(value=value)
            ) from None
        return value

    @field_validator("rule_set")
    @classmethod
    def _rule_set(cls, value: str, info: ValidationInfo) -> str:
        if info.context and info.context.get("launched"):
            # A launched cycle keeps the rule set it was given (cycle.rule_set_json), whatever
            # has happened to the files since.
            return value
        known = known_rule_sets()
        if value not in known:
            raise ValueError(
                _("{value!r} is not a rule set; known: {known}").format(
                    value=value, known=", ".join(sorted(known))
                )
            )
        try:
            load_rule_set(value)
        except RuleSetInvalid as exc:
            raise ValueError("; ".join(exc.problems)) from None
        return value

    @field_validator("escalation")
    @classmethod
    def _distinct_offsets(cls, steps: list[LadderStep]) -> list[LadderStep]:
        offsets = [s.offset for s in steps]
        if len(set(offsets)) != len(offsets):
            raise ValueError(_("two steps have the same offset; merge their notify lists"))
        return sorted(steps, key=lambda s: s.offset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def quiet_until(self, now: datetime) -> datetime | None:
        """When non-urgent mail queued at `now` may go out, if `now` is in quiet hours."""
        if self.quiet_hours is None:
            return None
        end = self.quiet_hours.until(now.astimezone(self.zone))
        return end.astimezone(UTC) if end else None

    def due_at(self, day: date) -> datetime:
        """The end of `day` in the plan's time zone, as a UTC instant."""
        local_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return local_midnight.astimezone(UTC)


def parse_plan(data: Any, *, source: str = "plan") -> Plan:
    """Validate a plan mapping; PlanInvalid lists every wrong key."""
    if not isinstance(data, dict):
        raise PlanInvalid(
            [
                _("{source}: the plan must be a mapping of keys (code, title, due, …)").format(
                    source=source
                )
            ]
        )
    problems = control_characters(data, source)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            key = key_path(err["loc"])
            message = pydantic_problem(err)
            if err["type"] == "extra_forbidden":
                message = _("is not a stage; stages are {stages}").format(stages=", ".join(STAGES))
            problems.append(f"{source}: {key}: {message}")
        raise PlanInvalid(problems) from None
    if problems:
        raise PlanInvalid(problems)
    return plan


def load_plan(path: Path) -> Plan:
    """Read and validate a plan file."""
    return parse_plan(read_plan_data(path), source=path.name)
