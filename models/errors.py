"""Errors a user can cause, each saying what was wrong, where, and what to do.

KiemdiemError
├── ConfigError          bad settings or environment
├── NotFound             a cycle, unit or member code that does not exist
├── ImportRejected       organization/member CSV problems (one line per bad row)
├── PlanInvalid          plan YAML problems (one line per bad key)
├── RuleSetInvalid       rule set file problems (one line per bad key)
├── StorageFailed        the database or a file cannot be written (full disk, read-only)
└── ActionRefused        a human or system action the process does not allow
    └── InvalidMove      the state machine has no such move from the unit's state
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from vocabulary import ngettext


class KiemdiemError(Exception):
    """Root of every error the product raises on purpose."""


class ConfigError(KiemdiemError):
    """A setting or environment variable is wrong."""


class NotFound(KiemdiemError):
    """A code given by the user names nothing in the database.

    Given a `Refusal` (a code and its fields), each front end words it, the CLI adding the
    command that shows what exists; a plain string is its own words."""

    def __init__(self, what: Refusal | str) -> None:
        self.refusal = what if isinstance(what, Refusal) else None
        super().__init__(what)

    def __str__(self) -> str:
        if self.refusal is None:
            return super().__str__()
        from vocabulary.refusals import word

        return word(self.refusal, front="cli")


class _ManyProblems(KiemdiemError):
    """An error that carries every problem found, not just the first."""

    def __init__(self, problems: list[str], hint: str) -> None:
        self.problems = problems
        self.hint = hint
        super().__init__("\n".join([*problems, hint]))


class ImportRejected(_ManyProblems):
    """The organization import found bad rows; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            problems,
            ngettext(
                "{n} problem; nothing was imported. Fix the row and rerun.",
                "{n} problems; nothing was imported. Fix the rows and rerun.",
                len(problems),
            ).format(n=len(problems)),
        )


class PlanInvalid(_ManyProblems):
    """The plan file is not a valid plan; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            problems,
            ngettext(
                "{n} problem in the plan; nothing was launched.",
                "{n} problems in the plan; nothing was launched.",
                len(problems),
            ).format(n=len(problems)),
        )


class RuleSetInvalid(_ManyProblems):
    """A rule set file is not a valid rule set."""

    def __init__(self, problems: list[str]) -> None:
        from vocabulary import _

        super().__init__(problems, _("Fix the rule set file; nothing was changed."))


class StorageFailed(KiemdiemError):
    """The database or an output file could not be written (a full disk, a read-only file);
    the one line says what and where, and that nothing was half-written."""


@dataclasses.dataclass(frozen=True)
class Refusal:
    """Why the service layer refused, as data: each front end words it in the person's
    language (`vocabulary.refusals.word`), the CLI with its flags, a page beside `field`.

    `code` names the rule (e.g. "already_voted"); `unit` is the unit code it concerns, if
    any; `field` the input it is about (a form field such as "score" or "criteria.2");
    `fields` the values the wording needs (numbers, names, codes).
    """

    code: str
    unit: str | None = None
    field: str | None = None
    fields: Mapping[str, Any] = dataclasses.field(default_factory=dict, hash=False)


# The last line of a refusal, said once after every problem (a page says it in its own words).
NOTHING_CHANGED = Refusal("nothing_changed")


class ActionRefused(KiemdiemError):
    """The action is not allowed; every row is as it was.

    Carries every refusal found (the service checks all named units before it refuses).
    A plain string is accepted while call sites move to structured refusals; it becomes a
    Refusal with code "text".
    """

    def __init__(self, *refusals: Refusal | str) -> None:
        self.refusals = [
            r if isinstance(r, Refusal) else Refusal("text", fields={"text": r}) for r in refusals
        ]
        super().__init__(*self.refusals)

    def __str__(self) -> str:
        from vocabulary.refusals import word_all

        return word_all(self.refusals, front="cli")


class InvalidMove(ActionRefused):
    """The unit's state machine has no such move from the unit's current state."""
