"""Launch a yearly review cycle from its plan file and send the plan-issued mail."""

from __future__ import annotations

import sys
from typing import Any

from prefect import flow

from flows._tasks import create_cycle, deliver_outbox
from models import resolve_now


@flow(name="launch-cycle")
def launch_cycle(
    plan_path: str, now: str | None = None, database_url: str | None = None
) -> dict[str, Any]:
    """Create the cycle and all its units in bulk, queue and deliver the plan-issued mail."""
    instant = resolve_now(now)
    summary = create_cycle(plan_path, instant, database_url)
    summary["delivery"] = deliver_outbox(instant, database_url)
    return summary


if __name__ == "__main__":
    print(launch_cycle(sys.argv[1]))
