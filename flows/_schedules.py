"""Each launched cycle's own morning schedule: a deployment named for the cycle.

Why a deployment per cycle rather than one scheduled flow fanning out a tick per active
cycle: the cycle's code is the deployment's name, so the Prefect UI finds it by typing the
code, and its page lists that cycle's ticks and nothing else; a person can pause one cycle
without touching the others; Prefect's own scheduler makes each morning's run, so nothing of
ours has to be up at 08:00; and the ticks of many cycles are independent flow runs that the
work pool spreads over its workers, where a fan-out run would fail or wait as one.

The deployment is a copy of the `review-cycle` deployment made by `prefect deploy` (its
entrypoint, pull steps, pool and job variables), so prefect.yaml names no cycle. Without that
deployment (the CLI on Prefect's embedded API) there is nothing to schedule on and the ticks
are run by hand or by cron.
"""

from __future__ import annotations

from typing import Any

from prefect import get_client
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.client.schemas.schedules import CronSchedule
from prefect.exceptions import ObjectNotFound

from flows._run_names import ALL_CYCLES, cycle_tag, org_in, run_name
from vocabulary import _

TICK_FLOW = "review-cycle"
BASE_DEPLOYMENT = f"{TICK_FLOW}/review-cycle"
DELIVERY_DEPLOYMENT = "deliver-outbox/deliver-outbox"


def deployment_name(cycle_code: str) -> str:
    return f"{TICK_FLOW}/{cycle_code}"


def schedule_cycle(
    *, cycle_code: str, cron: str, timezone: str, tags: list[str] | None = None
) -> dict[str, Any] | None:
    """Create (or bring up to date) the cycle's deployment ticking at `cron` in `timezone`;
    None when there is no `review-cycle` deployment to copy."""
    with get_client(sync_client=True) as client:
        try:
            base = client.read_deployment_by_name(BASE_DEPLOYMENT)
        except ObjectNotFound:
            return None
        schedule = DeploymentScheduleCreate(
            schedule=CronSchedule(cron=cron, timezone=timezone),
            active=True,
            slug=f"{cycle_code}-morning",
            parameters={"cycle_code": cycle_code},
        )
        deployment_id = client.create_deployment(  # an upsert on (flow, name)
            flow_id=base.flow_id,
            name=cycle_code,
            description=_("The daily tick of cycle {cycle}.").format(cycle=cycle_code),
            entrypoint=base.entrypoint,
            path=base.path,
            pull_steps=base.pull_steps,
            work_pool_name=base.work_pool_name,
            work_queue_name=base.work_queue_name,
            job_variables=base.job_variables,
            parameter_openapi_schema=base.parameter_openapi_schema,
            parameters={"cycle_code": cycle_code},
            tags=tags or [cycle_tag(cycle_code)],
            paused=False,
        )
        # The upsert keeps old schedules: replace them so a relaunch never doubles a tick.
        for old in client.read_deployment_schedules(deployment_id):
            client.delete_deployment_schedule(deployment_id, old.id)
        client.create_deployment_schedules(deployment_id, [schedule])
        made = client.read_deployment_schedules(deployment_id)
    return {
        "deployment": deployment_name(cycle_code),
        "deployment_id": str(deployment_id),
        "cron": cron,
        "timezone": timezone,
        "schedules": len(made),
    }


def unschedule_cycle(cycle_code: str) -> bool:
    """Stop the cycle's ticks (its deployment paused, its schedules off); False if it has none.

    The deployment stays, so its page keeps the cycle's past ticks."""
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(deployment_name(cycle_code))
        except ObjectNotFound:
            return False
        for schedule in client.read_deployment_schedules(deployment.id):
            if schedule.active:
                client.update_deployment_schedule(deployment.id, schedule.id, active=False)
        client.pause_deployment(deployment.id)
    return True


def hand_off_delivery(
    *, cycle_code: str | None, now: str, database_url: str | None, tags: list[str] | None = None
) -> str | None:
    """Start a `deliver-outbox` run on a worker and return its id without waiting for it;
    None when that deployment does not exist (the caller delivers itself)."""
    from prefect.deployments import run_deployment

    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(DELIVERY_DEPLOYMENT)
        except ObjectNotFound:
            return None
    run = run_deployment(
        DELIVERY_DEPLOYMENT,
        flow_run_name=run_name(
            cycle_code, org_in(tags, cycle_code), "delivery", no_cycle=ALL_CYCLES
        ),
        parameters={
            "cycle_code": cycle_code,
            "now": now,
            "database_url": database_url,
            "report_failures": False,
        },
        timeout=0,
        tags=tags or ([cycle_tag(cycle_code)] if cycle_code else None),
        as_subflow=False,
    )
    return str(run.id)  # type: ignore[union-attr]


def check_tags_ahead(run_tags: list[str]) -> None:
    """Ask Prefect now, before the tick's flow run, whether the cycle's tags (`run_tags`) have a
    concurrency limit, as every task run of the tick asks before it starts (the tags are on
    each of them).

    The client remembers "no limit on these tags" for 5 s, so the tick's tasks then ask nobody.
    Asked by the tick's first task instead, the question (a read, then a write transaction in
    the embedded API's SQLite) collides with the API recording that run's own states: the
    server answers 503 ("database is locked") and Prefect's client asks again after 2 s. In
    the province benchmark's ticks that was 2 s of 4 in most runs; before the run, the API is
    idle. Asked with the engine's own arguments so that it is the same question; when a limit
    exists a slot is taken and given back at once. The answer remembered from a tick a few
    seconds ago is forgotten first: it would not be asked again, and would lapse in the middle
    of this tick. A Prefect without these private helpers (an upgrade) only loses the head
    start."""
    from uuid import uuid4

    try:
        from prefect.client.schemas.objects import ConcurrencyLeaseHolder
        from prefect.concurrency._sync import concurrency
        from prefect.concurrency.services import _cache_lock, _no_limits_cache
    except ImportError:
        return

    holder = ConcurrencyLeaseHolder(type="task_run", id=uuid4())
    names = [f"tag:{tag}" for tag in run_tags]
    with _cache_lock:
        _no_limits_cache.pop(frozenset(names), None)
    with concurrency(names, 1, holder=holder, lease_duration=60, suppress_warnings=True):
        pass


def tag_this_run(run_tags: list[str]) -> None:
    """Add the cycle's tags to the flow run in progress, so the UI's tag filter finds it."""
    from prefect.runtime import flow_run

    run_id = flow_run.id
    if run_id is None:
        return
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
        missing = [tag for tag in run_tags if tag not in run.tags]
        if missing:
            client.update_flow_run(run.id, tags=[*run.tags, *missing])
