"""The tick's insights artifact: formalism signals and organizations at risk, as one table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows._run_names import task_name
from flows._tasks import artifact_key
from models import get_engine, session_scope
from states.cycles import get_cycle
from states.insights import cycle_insights
from vocabulary import _, dates, names


def insight_rows(insights: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per formalism signal, per organization-stage at risk, per position outlier, in
    the office's language with the CLI's and the workbook's names."""
    signal, organization, units, score, detail = (
        _("signal"),
        _("organization"),
        _("units"),
        _("score"),
        _("detail"),
    )
    rows: list[dict[str, Any]] = [
        {
            signal: names.SIGNALS.name(s["signal"]),
            organization: s["organization"],
            units: ", ".join(s["units"][:10]) + (" …" if len(s["units"]) > 10 else ""),
            score: s["score"],
            detail: "",
        }
        for s in insights["formalism"]
    ]
    rows += [
        {
            signal: (_("at risk (warned): {stage}") if f["warn"] else _("at risk: {stage}")).format(
                stage=names.STAGES.name(f["stage"])
            ),
            organization: f["organization"],
            units: _("{done}/{units} done").format(done=f["done"], units=f["units"]),
            score: f["pace_per_day"],
            detail: _("due {due}, projected {projected}").format(
                due=dates.iso_day(f["due"]),
                projected=dates.iso_day(f["projected"]) or _("no progress yet"),
            ),
        }
        for f in insights["forecast"]
        if f["at_risk"]
    ]
    rows += [
        {
            signal: _("position outlier: {group}").format(group=g["position_group"]),
            organization: o["organization"],
            units: o["unit"],
            score: o["group_share"],
            detail: _("{level} (group median {median})").format(
                level=names.LEVELS.name(o["level"]), median=names.LEVELS.name(g["median"])
            ),
        }
        for g in insights["comparison"]
        for o in g["outliers"]
    ]
    return rows


@task(cache_policy=NO_CACHE, task_run_name=task_name("insights"))
def publish_insights(cycle_code: str, now: datetime, database_url: str | None) -> dict[str, int]:
    """Publish the cycle's insights (states.insights) as the tick's table artifact."""
    with session_scope(get_engine(database_url)) as session:
        insights = cycle_insights(session=session, cycle=get_cycle(session, cycle_code), now=now)
    rows = insight_rows(insights)
    create_table_artifact(
        key=artifact_key(cycle_code, "insights"),
        table=rows or [{_("signal"): "-", _("organization"): "-", _("units"): "", _("score"): 0}],
        description=_(
            "{cycle} at {now}: signals for the committee to look at (formalism, deadlines at "
            "risk, position outliers), never verdicts"
        ).format(cycle=cycle_code, now=dates.moment(now)),
    )
    return {
        "formalism": len(insights["formalism"]),
        "at_risk": sum(f["at_risk"] for f in insights["forecast"]),
        "outliers": sum(len(g["outliers"]) for g in insights["comparison"]),
    }
