"""The order the rules require: a collective's self-review before its members' peer reviews; a
collective decided before its members and its head; lower organizations before higher ones.

STUB (issue 3): the guards allow everything and the tick clause is always true until this
module is written.
"""

from __future__ import annotations

from sqlalchemy import true
from sqlalchemy.sql import ColumnElement

from models.cycle import Unit
from states.guards import GuardContext, person_guard


@person_guard("collective_reviewed")
def _collective_reviewed(ctx: GuardContext, unit: Unit) -> str | None:
    return None


@person_guard("prerequisites_decided")
def _prerequisites_decided(ctx: GuardContext, unit: Unit) -> str | None:
    return None


def collective_reviewed_clause() -> ColumnElement[bool]:
    """SQL over `Unit`: true for a collective, or an individual whose collective has submitted
    its self-review (the tick's condition for opening an individual's vote)."""
    return true()
