"""Shortcomings and their remediation, carried from one year's cycle to the next.

At approval each decided unit's shortcomings are recorded (`record_shortcomings`): its latest
self-review's and the approving committee's conclusions, each a remediation item with an owner
and a due date. A collective's items have no owner until `assign_shortcomings` splits them
among named members (001_: no collective fault without someone responsible); until then the
tick keeps the unit published. The tick marks items past due overdue and closes a unit once
every item is remedied. A unit's StageDeadline "remediation" is the due time of its earliest
open item, so a unit late with its remediation escalates up the plan's ladder like any stage.

The next year's cycle names this one as its previous cycle: `carried_over` lists what its
units must answer for in their self-review, `unremedied_earlier` what keeps them from
excellent under 366.

Imported lazily (PEP 562): a status needs one clause, not every remediation action; the
guard `_people` registers is loaded with the others (`states.guards.GUARD_MODULES`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models._lazy import lazy_package

if TYPE_CHECKING:
    from states.remediation._carry import carried_over, unremedied_earlier
    from states.remediation._common import split_originals
    from states.remediation._listing import remediation_items
    from states.remediation._people import assign_shortcomings, report_remediation, supervise
    from states.remediation._record import record_shortcomings
    from states.remediation._tick import all_remedied_clause, mark_overdue, owned_clause

# Each public name and the module that defines it.
_WHERE = {
    "carried_over": "states.remediation._carry",
    "unremedied_earlier": "states.remediation._carry",
    "split_originals": "states.remediation._common",
    "remediation_items": "states.remediation._listing",
    "assign_shortcomings": "states.remediation._people",
    "report_remediation": "states.remediation._people",
    "supervise": "states.remediation._people",
    "record_shortcomings": "states.remediation._record",
    "all_remedied_clause": "states.remediation._tick",
    "mark_overdue": "states.remediation._tick",
    "owned_clause": "states.remediation._tick",
}

__all__ = [
    "all_remedied_clause",
    "assign_shortcomings",
    "carried_over",
    "mark_overdue",
    "owned_clause",
    "record_shortcomings",
    "remediation_items",
    "split_originals",
    "report_remediation",
    "supervise",
    "unremedied_earlier",
]

lazy_package(__name__, _WHERE)
