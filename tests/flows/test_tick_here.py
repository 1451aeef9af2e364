"""A tick or a launch run here (`tick_here`, `launch_here`, as the CLI, serve and the demo run
them) asks Prefect about the cycle's tags' concurrency once, before its flow run, and its flow
and task runs still carry the cycle and its launching committee, in their tags and names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prefect import get_client
from prefect.client.orchestration._concurrency_limits.client import (
    ConcurrencyLimitAsyncClient,
)
from prefect.client.orchestration._flow_runs.client import FlowRunClient
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
)
from sqlalchemy.engine import Engine

from flows import launch_here, tick_here
from kiemdiem.demo.smtp_server import LocalSMTPServer
from tests.factories import write_plan
from tests.flows.read_back import task_runs
from tests.states.helpers import launch_cycle, local

NOW = local("2026-11-10 09:00")


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What Prefect's client is asked, in order: tag questions and flow runs made."""
    calls: list[str] = []
    ask, create = (
        ConcurrencyLimitAsyncClient.increment_concurrency_slots_with_lease,
        FlowRunClient.create_flow_run,
    )

    async def asked(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("ask " + ",".join(kwargs["names"]))
        return await ask(self, *args, **kwargs)

    def created(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("run")
        return create(self, *args, **kwargs)

    monkeypatch.setattr(
        ConcurrencyLimitAsyncClient, "increment_concurrency_slots_with_lease", asked
    )
    monkeypatch.setattr(FlowRunClient, "create_flow_run", created)
    return calls


def test_a_tick_asks_about_its_tag_once_and_before_its_run(
    wired: tuple[Engine, str],
    smtp_server: LocalSMTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, url = wired
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))
    launch_cycle(engine, tmp_path, local("2026-11-10 08:00"))
    calls = _spy(monkeypatch)
    # Twice within the 5 s Prefect's client remembers "no limit" for: the second tick asks
    # again (the answer would lapse during it), and neither tick's tasks ask at all.
    states = [tick_here("TT-2026", NOW.isoformat(), url, return_state=True) for _ in range(2)]
    assert calls == ["ask tag:cycle:TT-2026,tag:org:D", "run"] * 2
    assert all(state.is_completed() for state in states)
    runs = task_runs([states[-1].state_details.flow_run_id], 6)
    assert len(runs) == 6
    # Every task run, and the flow run, carry the cycle and its launching committee: in their
    # tags, and in their names, as the API has them.
    assert sorted(run.name for run in runs) == [
        f"TT-2026 · D · {what}"
        for what in ("advance", "deliver", "escalate", "insights", "status", "summary")
    ]
    assert all({"cycle:TT-2026", "org:D"} <= set(run.tags) for run in runs)
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(states[-1].state_details.flow_run_id)
    assert {"cycle:TT-2026", "org:D"} <= set(flow_run.tags)
    assert flow_run.name == "TT-2026 · D · tick"


def test_a_launch_asks_about_its_tag_before_its_run(
    wired: tuple[Engine, str],
    smtp_server: LocalSMTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _engine, url = wired
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))
    calls = _spy(monkeypatch)
    state = launch_here(str(write_plan(tmp_path)), NOW.isoformat(), url, return_state=True)
    assert state.is_completed() and state.result()["delivery"]["sent"] > 0
    # The launch, then its delivery's subflow: the tasks of both (tagged) asked nobody.
    assert calls == ["ask tag:cycle:TT-2026,tag:org:D", "run", "run"]
    launched = state.state_details.flow_run_id
    deliverers = state.result()["delivery"]["deliverers"]  # 1 on SQLite, more on PostgreSQL
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(launched).name == "TT-2026 · D · launch"
        (delivery,) = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[launched])
            )
        )
        assert delivery.name == "TT-2026 · D · delivery"
    tasks = task_runs([launched, delivery.id], 3 + deliverers)
    # The subflow run is also a task run of the launch's, which Prefect names for the flow.
    assert sorted(t.name for t in tasks) == [
        "TT-2026 · D · create",
        *(f"TT-2026 · D · deliverer-{n}" for n in range(1, deliverers + 1)),
        "TT-2026 · D · schedule",
        "deliver-outbox-0",
    ]
