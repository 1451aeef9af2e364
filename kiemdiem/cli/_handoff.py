"""Handing a command's flow run to what is already running, so it answers in seconds.

In order:
1. PREFECT_API_URL set and the run's deployment there (`review-cycle/<code>`,
   `launch-cycle/launch-cycle`): a flow run of it is created through Prefect's REST API
   (httpx, not Prefect's client: importing that costs seconds), for the pool's workers; the
   command prints its id and page, and waits for its end only when asked (`--wait`).
2. A `kiemdiem serve` on the same database with a fresh heartbeat: a request row it runs in
   its warm Prefect (models.handoff); the command waits for the result and prints the same
   summary as a run of its own.
3. Neither: None, and the command runs the flow itself (Prefect's embedded API).

Every flow is safe to rerun, so when serve does not claim the request within CLAIM_WAIT, or
stops beating while it runs it, the command withdraws or abandons it and runs the flow itself.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

from models import KiemdiemError, get_engine, session_scope
from models.handoff import live_server, read_request, request_run, wake, withdraw
from vocabulary import _

CLAIM_WAIT = 10.0
# The result is one indexed row read on each poll (a millisecond): polling often costs less
# than the answer arriving a tenth of a second late.
POLL = 0.05
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


class HandoffFailed(KiemdiemError):
    """The flow a command handed off failed where it ran."""


@dataclass
class Handed:
    """Where the run went and what came back."""

    where: str  # "serve" or "prefect"
    flow_run_id: str | None
    summary: dict[str, Any] | None = None  # serve: the flow's own summary
    process: str | None = None  # serve: host:pid
    state: dict[str, Any] = field(default_factory=dict)  # prefect: the run's last state
    url: str | None = None  # prefect: the run's page


def hand_off(
    flow: str, parameters: dict[str, Any], *, deployment: str, wait: float = 0.0
) -> Handed | None:
    """Hand the run to a Prefect server's deployment or to `kiemdiem serve`; None when
    neither is there (the caller runs it)."""
    api = os.environ.get("PREFECT_API_URL")
    if api:
        handed = _to_deployment(api, deployment, parameters, wait)
        if handed is not None:
            return handed
    return _to_serve(flow, parameters)


def _to_serve(flow: str, parameters: dict[str, Any]) -> Handed | None:
    engine = get_engine()
    with session_scope(engine) as session:
        server = live_server(session)
        if server is None:
            return None
        request_id = request_run(session=session, flow=flow, parameters=parameters)
    wake(server)  # after the commit: serve must find the row when it looks
    asked = time.monotonic()
    while True:
        time.sleep(POLL)
        with session_scope(engine) as session:
            request = read_request(session, request_id)
            assert request is not None
            if request.status == "pending" and time.monotonic() - asked > CLAIM_WAIT:
                if withdraw(session=session, request_id=request_id):
                    return None  # serve is there but busy or stuck: run it here
                continue
            if request.status == "running" and live_server(session) is None:
                return None  # serve stopped mid-run: a rerun here is safe
            if request.status == "failed":
                raise HandoffFailed(
                    _("the run failed in kiemdiem serve ({process}): {error}").format(
                        process=request.claimed_by, error=request.error
                    )
                )
            if request.status == "done":
                return Handed(
                    where="serve",
                    flow_run_id=request.flow_run_id,
                    summary=json.loads(request.result or "{}"),
                    process=request.claimed_by,
                )


def _headers() -> dict[str, str]:
    if key := os.environ.get("PREFECT_API_KEY"):
        return {"Authorization": f"Bearer {key}"}
    if auth := os.environ.get("PREFECT_API_AUTH_STRING"):  # a self-hosted server's basic auth
        import base64

        return {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    return {}


def _to_deployment(
    api: str, deployment: str, parameters: dict[str, Any], wait: float
) -> Handed | None:
    import httpx

    base = api.rstrip("/") + "/"
    with httpx.Client(base_url=base, timeout=15, headers=_headers()) as http:
        found = http.get(f"deployments/name/{deployment}")
        if found.status_code == 404:
            return None
        found.raise_for_status()
        made = http.post(
            f"deployments/{found.json()['id']}/create_flow_run",
            json={"parameters": parameters},
        )
        made.raise_for_status()
        run = made.json()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and (run.get("state") or {}).get("type") not in TERMINAL:
            time.sleep(0.5)
            run = http.get(f"flow_runs/{run['id']}").json()
    ui = os.environ.get("PREFECT_UI_URL") or base.rstrip("/").removesuffix("/api")
    return Handed(
        where="prefect",
        flow_run_id=str(run["id"]),
        state=run.get("state") or {},
        url=f"{ui}/runs/flow-run/{run['id']}",
    )


__all__ = ["Handed", "HandoffFailed", "hand_off"]
