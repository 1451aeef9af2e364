"""One idempotent tick of a cycle (and of earlier cycles still remedying): advance, escalate,
deliver, report."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger, tags
from prefect.states import Completed

from flows._insights import publish_insights
from flows._run_names import name_this_run, run_name, run_tags, tags_of_this_run
from flows._schedules import check_tags_ahead, tag_this_run, unschedule_cycle
from flows._tasks import (
    advance_units,
    deliver_outbox,
    publish_status,
    publish_summary,
    queue_escalations,
)
from models import resolve_now
from vocabulary import _


def _run_name() -> str:
    return name_this_run("tick")


@flow(name="review-cycle", flow_run_name=_run_name)
def review_cycle(
    cycle_code: str, now: str | None = None, database_url: str | None = None
) -> dict[str, Any]:
    """Reconcile the cycle with the clock: every step here can be rerun with the same outcome.

    Ends in a Completed state whose message says whether mail is still pending; calling the
    flow returns the tick's summary (a dict), `return_state=True` the state itself.
    """
    tagged = tags_of_this_run(cycle_code, database_url)
    instant = resolve_now(now)
    tag_this_run(tagged)
    with tags(*tagged):
        return _tick(cycle_code, instant, database_url)


def tick_here(
    cycle_code: str,
    now: str | None = None,
    database_url: str | None = None,
    *,
    return_state: bool = False,
) -> Any:
    """The review-cycle flow run in this process, as every front end here runs it (the CLI,
    serve, the demo): the cycle tag's concurrency question asked first, while Prefect's API is
    idle (see `check_tags_ahead`), then the flow, its run made with the tags (so that naming
    it needs no second lookup of the committee); what it returns."""
    tagged = run_tags(cycle_code, database_url)
    try:
        check_tags_ahead(tagged)
    except Exception:  # only a head start: the tick's tasks ask again themselves
        logging.getLogger(__name__).warning("the tag check ahead of the tick failed", exc_info=True)
    with tags(*tagged):
        if return_state:
            return review_cycle(cycle_code, now=now, database_url=database_url, return_state=True)
        return review_cycle(cycle_code, now=now, database_url=database_url)


def _tick(cycle_code: str, instant: datetime, database_url: str | None) -> dict[str, Any]:
    advanced = advance_units(cycle_code, instant, database_url)
    if advanced.get("closed"):
        # A cycle closed from the CLI without a Prefect server stops ticking here.
        stopped = unschedule_cycle(cycle_code)
        message = (
            _("cycle {cycle} is closed; its schedule is now off")
            if stopped
            else _("cycle {cycle} is closed; it has no schedule")
        ).format(cycle=cycle_code)
        return Completed(message=message, data={"advanced": advanced})  # type: ignore[return-value]
    escalated = queue_escalations(cycle_code, advanced["tick_id"], instant, database_url)
    # Last year's remediation goes on with this year's tick: its overdue items escalate and
    # its units close once remedied, without a deployment of its own.
    earlier = {}
    for code, launcher in advanced["earlier_open"].items():
        # The run's tags are this cycle's: the earlier cycle's own committee names its tasks.
        advance = advance_units.with_options(task_run_name=run_name(code, launcher, "advance"))
        moved = advance(code, instant, database_url)
        escalate = queue_escalations.with_options(
            task_run_name=run_name(code, launcher, "escalate")
        )
        earlier[code] = {
            "advanced": moved,
            "escalated": escalate(code, moved["tick_id"], instant, database_url),
        }
    delivery = deliver_outbox(instant, database_url, cycle_code)
    status = publish_status(cycle_code, instant, database_url)
    insights = publish_insights(cycle_code, instant, database_url)
    summary = {
        "advanced": advanced,
        "escalated": escalated,
        "earlier": earlier,
        "delivery": delivery,
        "status": status,
        "insights": insights,
    }
    logger = get_run_logger()
    for problem in escalated["unresolved"]:
        logger.warning("no recipient: %s", problem)
    pending = _pending_message(status)
    publish_summary(cycle_code, instant, summary, pending)
    # Mail that could not go out now is not a failure of the tick: it waits in the outbox.
    # Prefect makes a returned state the run's final state; callers still get `summary`.
    return Completed(message=pending, data=summary)  # type: ignore[return-value]


def _pending_message(status: dict[str, Any]) -> str:
    """The run's final word, in the office's language: where mail stands, then the units still
    to be decided."""
    undecided = status["units"] - status["decided"]
    overdue = sum(status["overdue"].values())
    units = (
        _("Units not yet decided: {undecided} of {units} ({overdue} overdue).")
        if overdue
        else _("Units not yet decided: {undecided} of {units}.")
    ).format(undecided=undecided, units=status["units"], overdue=overdue)
    return f"{_mail_message(status['mails'])}. {units}"


def _mail_message(mails: dict[str, int]) -> str:
    """What the run's final state says about mail, for whoever watches the runs."""
    waiting = mails["pending"] - mails["sending"]
    parts = [_("mail pending: {n}").format(n=waiting)] if waiting else []
    if mails["sending"]:
        parts.append(_("being sent by another run: {n}").format(n=mails["sending"]))
    parts = parts or [_("all mail delivered")]
    if mails["failed"]:
        parts.append(
            _("{n} refused for good (see the mail-failures artifact)").format(n=mails["failed"])
        )
    return "; ".join(parts)


if __name__ == "__main__":
    print(tick_here(sys.argv[1]))
