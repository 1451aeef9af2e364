"""Launch a yearly review cycle from its plan file: the cycle in one transaction, its own morning
schedule, and its plan-issued mail handed to the deliver-outbox flow."""

from __future__ import annotations

import logging
import sys
from typing import Any

from prefect import flow, tags, task
from prefect.cache_policies import NO_CACHE

from flows._run_names import plan_fields, run_name, run_tags, task_name
from flows._schedules import check_tags_ahead, hand_off_delivery, schedule_cycle, tag_this_run
from flows._tasks import create_cycle
from flows.deliver_outbox import deliver_mail
from models import load_settings, resolve_now


def _run_name() -> str:
    """`<cycle> · <committee> · launch`, both read from the plan (not yet validated: only what
    is a code is named); the run's body checks the plan."""
    from prefect.runtime import flow_run

    return run_name(*plan_fields(flow_run.parameters.get("plan_path")), "launch")


@task(cache_policy=NO_CACHE, task_run_name=task_name("schedule"))
def schedule_ticks(cycle_code: str, timezone: str, tags: list[str]) -> dict[str, Any] | None:
    """Give the cycle its own deployment ticking every morning (none on the embedded API)."""
    return schedule_cycle(
        cycle_code=cycle_code, cron=load_settings().tick_cron, timezone=timezone, tags=tags
    )


@flow(name="launch-cycle", flow_run_name=_run_name)
def launch_cycle(
    plan_path: str,
    now: str | None = None,
    database_url: str | None = None,
    deliver: bool = True,
) -> dict[str, Any]:
    """Create the cycle and all its units, deadlines and mail in one transaction (committed,
    so visible at once), schedule its ticks, then have its mail delivered: by a
    `deliver-outbox` run on a worker when that deployment exists (not waited for), otherwise
    here, after the launch (`deliver=False` leaves it to the next tick)."""
    instant = resolve_now(now)
    summary = create_cycle(plan_path, instant, database_url)
    code = summary["cycle"]
    tagged = run_tags(code, database_url)
    tag_this_run(tagged)
    with tags(*tagged):
        summary["schedule"] = schedule_ticks(code, summary["timezone"], tagged)
        handed = hand_off_delivery(
            cycle_code=code, now=instant.isoformat(), database_url=database_url, tags=tagged
        )
    if handed is not None:
        summary["delivery"] = {"run": handed}
    elif deliver:
        summary["delivery"] = deliver_mail(
            cycle_code=code,
            now=instant.isoformat(),
            database_url=database_url,
            report_failures=False,
        )
    else:
        summary["delivery"] = {"queued": summary["mails_queued"]}
    return summary


def launch_here(
    plan_path: str,
    now: str | None = None,
    database_url: str | None = None,
    deliver: bool = True,
    *,
    return_state: bool = False,
) -> Any:
    """The launch-cycle flow run in this process, as the CLI and the demo run it: the cycle
    tag's concurrency question asked first, while Prefect's API is idle (see
    `check_tags_ahead`; the launch's scheduling and delivery tasks carry the tag), then the
    flow; what it returns."""
    code, launched_by = plan_fields(plan_path)
    if code is not None:
        try:
            check_tags_ahead(run_tags(code, launched_by=launched_by))
        except Exception:  # only a head start: the tasks ask again themselves
            logging.getLogger(__name__).warning("the tag check ahead failed", exc_info=True)
    options: dict[str, Any] = {"now": now, "database_url": database_url, "deliver": deliver}
    if return_state:
        return launch_cycle(plan_path, **options, return_state=True)
    return launch_cycle(plan_path, **options)


if __name__ == "__main__":
    print(launch_here(sys.argv[1]))
