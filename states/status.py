"""What a cycle looks like now: counts per state, overdue per stage and organization, mail."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from models.cycle import Cycle, Level, Opinion, StageDeadline, Suggestion, Unit
from models.remediation import RemediationStatus, Shortcoming
from notifications import counts, deferred
from notifications.outbox import failures, retrying
from states.directory import Directory
from states.machine import STAGE_OF_STATE, UnitState
from states.remediation._common import split_originals


def _overdue_rows(session: Session, cycle: Cycle, now: datetime) -> list[tuple[int, str, int]]:
    """(organization id, stage, units) for units past the due time of the stage they are in."""
    rows: list[tuple[int, str, int]] = []
    for state, stage in STAGE_OF_STATE.items():
        query = (
            select(Unit.organization_id, func.count())
            .join(
                StageDeadline,
                and_(col(StageDeadline.unit_id) == col(Unit.id), col(StageDeadline.stage) == stage),
            )
            .where(
                Unit.cycle_id == cycle.id,
                Unit.state == state.value,
                col(StageDeadline.due_at) <= now,
            )
            .group_by(col(Unit.organization_id))
        )
        rows += [(org_id, stage, n) for org_id, n in session.exec(query)]
    return rows


def _process(session: Session, cycle: Cycle) -> dict[str, Any]:
    """Where the process's own records stand: suggestions, opinions, open vote rounds after
    the first (revotes), decided levels, and shortcomings by remediation status."""
    in_cycle = col(Unit.cycle_id) == cycle.id
    opinions = {"awaited": 0, "given": 0, "missing": 0}
    for received, missing, n in session.exec(
        select(col(Opinion.received_at).is_not(None), Opinion.missing, func.count())
        .join(Unit, col(Unit.id) == col(Opinion.unit_id))
        .where(in_cycle)
        .group_by(col(Opinion.received_at).is_not(None), col(Opinion.missing))
    ):
        opinions["given" if received else "missing" if missing else "awaited"] += n
    levels = {level.value: 0 for level in Level}
    for level, n in session.exec(
        select(Unit.final_level, func.count())
        .where(in_cycle, col(Unit.final_level).is_not(None))
        .group_by(col(Unit.final_level))
    ):
        if level is not None:
            levels[Level(level).value] = n
    shortcomings = {status.value: 0 for status in RemediationStatus}
    for status, n in session.exec(
        select(Shortcoming.status, func.count())
        # A split original lives on in its parts: count those, as the report and list do.
        .where(Shortcoming.cycle_id == cycle.id, ~split_originals())
        .group_by(col(Shortcoming.status))
    ):
        shortcomings[RemediationStatus(status).value] = n
    return {
        "suggestions": session.exec(
            select(func.count())
            .select_from(Suggestion)
            .join(Unit, col(Unit.id) == col(Suggestion.unit_id))
            .where(in_cycle)
        ).one(),
        "opinions": opinions,
        "revotes": session.exec(
            select(func.count()).where(in_cycle, Unit.state == "vote", col(Unit.vote_round) > 1)
        ).one(),
        "final_levels": levels,
        "shortcomings": shortcomings,
    }


def cycle_status(*, session: Session, cycle: Cycle, now: datetime) -> dict[str, Any]:
    """The figures `cycle status --json` prints and the tick's artifacts show."""
    assert cycle.id is not None
    states = {s.value: 0 for s in UnitState}
    for state, n in session.exec(
        select(Unit.state, func.count()).where(Unit.cycle_id == cycle.id).group_by(col(Unit.state))
    ):
        states[state] = n
    overdue = {stage: 0 for stage in STAGE_OF_STATE.values()}
    directory = Directory.for_cycle(session, cycle)
    by_org: dict[str, dict[str, Any]] = {}
    for org_id, stage, n in _overdue_rows(session, cycle, now):
        overdue[stage] += n
        top = directory.rollup(org_id)
        row = by_org.setdefault(top.code, defaultdict(int, organization=top.code, name=top.name))
        row[stage] += n
        row["total"] += n
    root = directory.orgs[cycle.launched_by_id]
    missing = [
        {
            "organization": node.code,
            "name": node.name,
            "missing": ", ".join(
                field for field in ("email", "secretary_email") if not getattr(node, field)
            ),
            "mail_goes_to": ", ".join(
                found[0]
                for field in ("email", "secretary_email")
                if not getattr(node, field) and (found := directory.address(node.id, field))
            ),
        }
        for node in sorted(directory.orgs.values(), key=lambda n: n.path)
        if node.path.startswith(root.path) and not (node.email and node.secretary_email)
    ]
    return {
        "cycle": cycle.code,
        "now": now.isoformat(),
        "units": sum(states.values()),
        "states": states,
        "overdue": overdue,
        "overdue_by_organization": sorted(
            (dict(r) for r in by_org.values()), key=lambda r: (-r["total"], r["organization"])
        ),
        "process": _process(session, cycle),
        "mails": counts(session, cycle_id=cycle.id),
        "mail_retrying": retrying(session, cycle_id=cycle.id),
        # Organizations without an address of their own: their mail falls back up the tree.
        "missing_addresses": missing,
        "mail_failures": [
            {
                "recipient": m.recipient,
                "name": m.recipient_name,
                "kind": m.kind,
                "subject": deferred.subject(m),
                "error": m.last_error,
                "failed_at": m.failed_at.isoformat() if m.failed_at else None,
                "reported": m.reported_at is not None,
            }
            for m in failures(session, cycle_id=cycle.id)
        ],
    }
