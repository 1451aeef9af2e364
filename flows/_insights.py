"""The tick's insights artifact: formalism signals and organizations at risk, as one table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from models import get_engine, session_scope
from states.cycles import get_cycle
from states.insights import cycle_insights


def insight_rows(insights: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per formalism signal, per organization-stage at risk, per position outlier."""
    rows: list[dict[str, Any]] = [
        {
            "insight": s["signal"],
            "organization": s["organization"],
            "units": ", ".join(s["units"][:10]) + (" …" if len(s["units"]) > 10 else ""),
            "score": s["score"],
            "detail": "",
        }
        for s in insights["formalism"]
    ]
    rows += [
        {
            "insight": f"at risk: {f['stage']}" + (" (warn)" if f["warn"] else ""),
            "organization": f["organization"],
            "units": f"{f['done']}/{f['units']} done",
            "score": f["pace_per_day"],
            "detail": f"due {f['due']}, projected {f['projected'] or 'never at this pace'}",
        }
        for f in insights["forecast"]
        if f["at_risk"]
    ]
    rows += [
        {
            "insight": f"position outlier: {g['position_group']}",
            "organization": o["organization"],
            "units": o["unit"],
            "score": o["group_share"],
            "detail": f"{o['level']} (group median {g['median']})",
        }
        for g in insights["comparison"]
        for o in g["outliers"]
    ]
    return rows


@task(cache_policy=NO_CACHE)
def publish_insights(cycle_code: str, now: datetime, database_url: str | None) -> dict[str, int]:
    """Publish the cycle's insights (states.insights) as the tick's table artifact."""
    with session_scope(get_engine(database_url)) as session:
        insights = cycle_insights(session=session, cycle=get_cycle(session, cycle_code), now=now)
    rows = insight_rows(insights)
    slug = "".join(c if c.isalnum() else "-" for c in cycle_code.lower()).strip("-")
    create_table_artifact(
        key=f"{slug}-insights",
        table=rows or [{"insight": "-", "organization": "-", "units": "", "score": 0}],
        description=f"{cycle_code} at {now.isoformat()}: signals for the committee to look at "
        "(formalism, deadlines at risk, position outliers), never verdicts",
    )
    return {
        "formalism": len(insights["formalism"]),
        "at_risk": sum(f["at_risk"] for f in insights["forecast"]),
        "outliers": sum(len(g["outliers"]) for g in insights["comparison"]),
    }
