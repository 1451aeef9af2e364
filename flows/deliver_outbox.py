"""Drain the outbox in the background: several SMTP connections each, and on PostgreSQL several
deliverers at once (their claims skip each other's rows)."""

from __future__ import annotations

import sys
from typing import Any

from prefect import flow, tags

from flows._run_names import ALL_CYCLES, name_this_run, org_in, run_name, tags_of_this_run
from flows._schedules import tag_this_run
from flows._tasks import deliver_outbox
from models import get_engine, load_settings, resolve_now


def _run_name() -> str:
    return name_this_run("delivery", no_cycle=ALL_CYCLES)


@flow(name="deliver-outbox", flow_run_name=_run_name)
def deliver_mail(
    cycle_code: str | None = None,
    now: str | None = None,
    database_url: str | None = None,
    deliverers: int | None = None,
    report_failures: bool = True,
) -> dict[str, Any]:
    """Send every due mail (any cycle's); with a cycle, then its failure digest if one is due
    (unless `report_failures` is off: the launch leaves that to the cycle's ticks)."""
    tagged = tags_of_this_run(cycle_code, database_url) if cycle_code else []
    instant = resolve_now(now)
    if tagged:
        tag_this_run(tagged)
    on_postgres = get_engine(database_url).dialect.name == "postgresql"
    count = (deliverers or load_settings().deliverers) if on_postgres else 1
    org = org_in(tagged, cycle_code)

    def deliverer(n: int) -> Any:
        name = run_name(cycle_code, org, f"deliverer-{n}", no_cycle=ALL_CYCLES)
        return deliver_outbox.with_options(task_run_name=name)

    with tags(*tagged):
        futures = [deliverer(i + 1).submit(instant, database_url) for i in range(count - 1)]
        # The last deliverer is the one that reports the cycle's refused mail once all is sent.
        last = deliverer(count)(instant, database_url, cycle_code if report_failures else None)
        reports = [f.result() for f in futures] + [last]
    total: dict[str, Any] = {"sent": 0, "failed": 0, "retried": 0, "errors": []}
    for report in reports:
        for key in ("sent", "failed", "retried"):
            total[key] += report[key]
        total["errors"] += [e for e in report["errors"] if e not in total["errors"]]
    if "failure_digests" in last:
        total["failure_digests"] = last["failure_digests"]
    total["deliverers"] = count
    return total


if __name__ == "__main__":
    print(deliver_mail(sys.argv[1] if len(sys.argv) > 1 else None))
