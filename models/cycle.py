"""A yearly cycle, its units, their deadlines, and everything people and ticks do to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models._types import UTCDateTime, utcnow


class UnitKind(StrEnum):
    """What a unit reviews: an organization, its leadership, a member, or a member as leader."""

    ORGANIZATION = "organization"
    LEADERSHIP = "leadership"
    MEMBER = "member"
    LEADER = "leader"

    @property
    def is_collective(self) -> bool:
        return self in (UnitKind.ORGANIZATION, UnitKind.LEADERSHIP)

    @property
    def prefix(self) -> str:
        """The letter that starts a unit's code, e.g. M:DV0001."""
        return {"organization": "O", "leadership": "T", "member": "M", "leader": "L"}[self.value]


class Level(StrEnum):
    """Classification levels (xếp loại chất lượng)."""

    EXCELLENT = "excellent"
    GOOD = "good"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"


class Cycle(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)
    title: str
    document: str
    launched_by_id: int = Field(foreign_key="organization.id")
    rule_set: str
    timezone: str
    # The plan exactly as validated, so a tick reads the ladder the launch was given.
    plan_json: str = Field(sa_column=Column(Text, nullable=False))
    # The rule set as it was at launch: a cycle keeps its rules when the files change later.
    rule_set_json: str = Field(sa_column=Column(Text, nullable=False))
    launched_at: datetime = Field(sa_type=UTCDateTime)
    # The cycle this one follows for the same organizations: its open shortcomings carry over.
    previous_cycle_id: int | None = Field(default=None, foreign_key="cycle.id")
    # The public half of the cycle's ballot key (hex) when its rule set votes by secret ballot:
    # each choice is sealed with it; the private half lives in a file outside the database.
    ballot_public_key: str | None = Field(default=None, max_length=64)
    # When the launching committee closed the cycle: its ticks stop and nothing moves again.
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Unit(SQLModel, table=True):
    """One (cycle, subject) pair; its state is the truth a tick reconciles against."""

    __table_args__ = (
        UniqueConstraint("cycle_id", "code"),
        Index("ix_unit_cycle_state", "cycle_id", "state"),
        Index("ix_unit_cycle_org", "cycle_id", "organization_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id")
    code: str = Field(max_length=80)
    kind: UnitKind
    # The organization the unit is reviewed in: the organization itself for a collective,
    # the member's cell for a member, the organization led for a leader.
    organization_id: int = Field(foreign_key="organization.id")
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    state: str = Field(max_length=32)
    proposed_level: Level | None = None
    final_level: Level | None = None
    has_shortcomings: bool = False
    # The latest self-review's score, where the rule set scores (366: out of 100).
    score: int | None = None
    # A vote the secretary sends back to the voters starts a new round with fresh ballots.
    vote_round: int = 1
    pilot: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StageDeadline(SQLModel, table=True):
    """When a unit's stage is due; a unit past it in that stage is overdue."""

    __table_args__ = (
        UniqueConstraint("unit_id", "stage"),
        Index("ix_deadline_stage_due", "stage", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    stage: str = Field(max_length=32)
    due_at: datetime = Field(sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Append-only: every transition of every unit, who made it, when and why."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str = Field(max_length=64)
    trigger: str = Field(max_length=32)
    from_state: str = Field(max_length=32)
    to_state: str = Field(max_length=32)
    reason: str | None = None
    # How it came (states.acting): "page" (the person, signed in), "cli" (an operator acting
    # for them with --as, named in `operator`) or "system" (the tick, the demo's people).
    via: str = Field(default="system", max_length=8, sa_column_kwargs={"server_default": "system"})
    operator: str | None = Field(default=None, max_length=64)


class Escalation(SQLModel, table=True):
    """A ladder step queued for a unit and stage; the unique key makes it happen once."""

    __table_args__ = (UniqueConstraint("unit_id", "stage", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    stage: str = Field(max_length=32)
    step: int
    tick_id: int = Field(foreign_key="tick.id", index=True)
    queued_at: datetime = Field(sa_type=UTCDateTime)


class Tick(SQLModel, table=True):
    """One run of the review-cycle reconciler, at the cycle clock's `now`."""

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="cycle.id", index=True)
    now: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SelfReview(SQLModel, table=True):
    """A submitted self-review; a unit returned for re-review has several.

    The structured parts are JSON: `criteria_json` maps each rule-set criterion to the answer,
    `shortcomings_json` lists {text, cause, repeats?} (repeats: the id of last year's
    shortcoming it records again), `answers_json` maps suggestion ids to answers and
    `carried_json` maps carried-over shortcoming ids to what was done about them.
    """

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    author_id: int = Field(foreign_key="member.id")
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    proposed_level: Level
    score: int | None = None
    strengths: str = ""
    shortcomings: str = ""
    remedies: str = ""
    criteria_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    shortcomings_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    answers_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    carried_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))


class Comment(SQLModel, table=True):
    """A peer-review comment on a unit: `author_id` is who said it, `entered_by` who typed it
    in (states.acting.entered_fields), which differs when a secretary records a comment made
    at the meeting or an operator enters one at the CLI."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    author_id: int = Field(foreign_key="member.id")
    at: datetime = Field(sa_type=UTCDateTime)
    text: str
    # "page": a signed-in member's code; "cli": the operator's OS user; "system": a member
    # code or None (rows from before this was recorded).
    entered_by: str | None = Field(default=None, max_length=64)
    entered_via: str = Field(
        default="system", max_length=8, sa_column_kwargs={"server_default": "system"}
    )


class Ballot(SQLModel, table=True):
    """An open vote's ballot: who voted for what. Secret votes never write this table."""

    __table_args__ = (UniqueConstraint("unit_id", "round", "voter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    round: int = 1
    voter_id: int = Field(foreign_key="member.id")
    level: Level
    at: datetime = Field(sa_type=UTCDateTime)


class VoterRoll(SQLModel, table=True):
    """Who has voted on a unit in a round (open or secret), so nobody votes twice.

    With a secret ballot the roll and the round's `SealedRound` are all that is stored while
    it is open: nothing here names a choice, and nothing there names a voter, a time or an id.
    """

    __table_args__ = (UniqueConstraint("unit_id", "round", "voter_id"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    round: int = 1
    voter_id: int = Field(foreign_key="member.id")
    at: datetime = Field(sa_type=UTCDateTime)


class SealedRound(SQLModel, table=True):
    """The sealed ballots of a secret round: one row per unit and round, rewritten whole by
    each ballot, holding every box of the round so far (`states.ballot_box`).

    No id, no time, no voter: the boxes are fixed-length sealed boxes sorted by their bytes,
    so neither the row nor a box's position follows the order of the roll. Deleted once the
    round is counted.
    """

    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
    round: int = Field(default=1, primary_key=True)
    boxes: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))


class Tally(SQLModel, table=True):
    """The count of ballots for each level in a round of a unit's vote: kept up to date by an
    open ballot; for a secret one written only when the secretary closes the round."""

    __table_args__ = (UniqueConstraint("unit_id", "round", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    round: int = 1
    level: Level
    count: int = 0


class Suggestion(SQLModel, table=True):
    """A written review suggestion (gợi ý kiểm điểm) to a unit, issued before its self-review;
    the self-review must answer it."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    issued_by_id: int = Field(foreign_key="member.id")
    # committee (the committee above), standing (its standing committee) or inspection (UBKT).
    issuer_role: str = Field(max_length=16)
    at: datetime = Field(sa_type=UTCDateTime)
    text: str


# The kinds of an opinion's source: "residence:<org code>" or "office:<office code>".
RESIDENCE, OFFICE = "residence", "office"


class Opinion(SQLModel, table=True):
    """An opinion requested for a peer review: from the member's residence-area cell, or, for
    a leader, from an office named in the plan. Missing once its due time passed unanswered."""

    __table_args__ = (UniqueConstraint("unit_id", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    # "residence:<org code>" or "office:<office code>" (RESIDENCE, OFFICE)
    source: str = Field(max_length=80)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    # When a tick mailed the request (in one digest per recipient); None: not yet asked.
    asked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    given_by: str | None = Field(default=None, max_length=64)
    text: str | None = None
    missing: bool = False
    # Who typed it in and how, as for a Comment (the page: the signed-in `given_by` itself).
    entered_by: str | None = Field(default=None, max_length=64)
    entered_via: str = Field(
        default="system", max_length=8, sa_column_kwargs={"server_default": "system"}
    )


class SelfReviewDraft(SQLModel, table=True):
    """A self-review being written: the form as its writer last saved it, one per unit and
    writer; dropped when the review is submitted. Not part of the process until then."""

    __table_args__ = (UniqueConstraint("unit_id", "author_id"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    author_id: int = Field(foreign_key="member.id")
    saved_at: datetime = Field(sa_type=UTCDateTime)
    form_json: str = Field(sa_column=Column(Text, nullable=False))
