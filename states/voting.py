"""The vote (biểu quyết, bỏ phiếu): ballots, the tally, and the secretary closing the vote."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session

from models.cycle import Ballot, Level, Unit
from states.guards import GuardContext, person_guard
from states.service import ActionResult, apply_moves, check_action


def vote(
    *,
    session: Session,
    cycle_code: str,
    ballots: Mapping[str, Level],
    actor_code: str,
    now: datetime,
) -> ActionResult:
    """Cast one voter's ballot paper: a level for each named unit; a voter votes once per unit."""
    checked = check_action(
        session,
        cycle_code=cycle_code,
        unit_codes=list(ballots),
        actor_code=actor_code,
        trigger="vote",
    )
    session.execute(
        insert(Ballot),
        [
            {"unit_id": u.id, "voter_id": checked.actor.id, "level": ballots[u.code], "at": now}
            for u in checked.units
        ],
    )
    return apply_moves(session, checked, trigger="vote", now=now)


# STUB (issue 3): the secretary closes the vote.


@person_guard("actor_runs_the_vote")
def _runs_the_vote(ctx: GuardContext, unit: Unit) -> str | None:
    return "closing the vote is not written yet"


@person_guard("vote_carried")
def _carried(ctx: GuardContext, unit: Unit) -> str | None:
    return None


@person_guard("vote_not_carried")
def _not_carried(ctx: GuardContext, unit: Unit) -> str | None:
    return None
