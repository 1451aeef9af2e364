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
"""

from states.remediation._carry import carried_over, unremedied_earlier
from states.remediation._common import split_originals
from states.remediation._listing import remediation_items

# _people registers the guard "actor_heads_or_approves" the machine names.
from states.remediation._people import assign_shortcomings, report_remediation, supervise
from states.remediation._record import record_shortcomings
from states.remediation._tick import all_remedied_clause, mark_overdue, owned_clause

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
