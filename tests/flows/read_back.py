"""Reading runs back from the Prefect API in tests, as a person would find them in the UI."""

from __future__ import annotations

import time
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import TaskRun


def task_runs(flow_run_ids: list[UUID], count: int) -> list[TaskRun]:
    """The task runs of these flow runs, once there are `count` of them (they reach the API as
    events, a little after the flow returned) or after 10 s."""
    ran = FlowRunFilter(id=FlowRunFilterId(any_=flow_run_ids))
    with get_client(sync_client=True) as client:
        for _ in range(100):
            runs = client.read_task_runs(flow_run_filter=ran)
            if len(runs) >= count:
                break
            time.sleep(0.1)
    return runs


def task_run_names(flow_run_id: UUID, count: int) -> set[str]:
    return {run.name for run in task_runs([flow_run_id], count)}
