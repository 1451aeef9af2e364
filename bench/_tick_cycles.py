"""The morning's ticks as one fan-out flow run: many cycles ticked in one process, each a
`review-cycle` subflow run, for bench/many_cycles.py to weigh against one flow run (one
process) per cycle's deployment."""

from __future__ import annotations

import sys

from prefect import flow

from flows.review_cycle import review_cycle


@flow(name="tick-cycles", flow_run_name="morning-{label}")
def tick_cycles(
    cycle_codes: list[str], now: str | None = None, database_url: str | None = None, label: str = ""
) -> dict[str, str]:
    """Tick each cycle in turn, each a subflow run of its own (named and tagged for its cycle
    as a deployment's run is); one cycle's failed tick does not stop the others'."""
    return {
        code: review_cycle(code, now=now, database_url=database_url, return_state=True).type.value
        for code in cycle_codes
    }


if __name__ == "__main__":
    print(tick_cycles(sys.argv[1:]))
