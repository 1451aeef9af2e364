"""Review suggestions (gợi ý kiểm điểm): written by the committee above, its standing committee
or the inspection commission to named units before their self-review.

STUB (issue 3).
"""

from __future__ import annotations

from models.cycle import Unit
from states.guards import GuardContext, person_guard


@person_guard("actor_may_suggest")
def _may_suggest(ctx: GuardContext, unit: Unit) -> str | None:
    return "review suggestions are not written yet"
