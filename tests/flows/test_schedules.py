"""Launching a cycle gives it its own morning schedule on the Prefect API, found by its code;
closing it stops the ticks; runs carry the cycle and its committee in names and tags."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from prefect.client.schemas.objects import StateType
from sqlalchemy import update
from sqlalchemy.engine import Engine

from flows import deliver_mail, launch_cycle, review_cycle
from flows._schedules import BASE_DEPLOYMENT, deployment_name
from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import Unit, session_scope
from states.closing import close_cycle
from states.cycles import get_cycle
from tests.factories import write_plan
from tests.flows.read_back import task_run_names, task_runs
from tests.states.helpers import CYCLE, local


def _deploy_base() -> None:
    """What `prefect deploy` makes of prefect.yaml's review-cycle entry (no schedule, no cycle)."""
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("review-cycle")
        client.create_deployment(
            flow_id=flow_id,
            name="review-cycle",
            entrypoint="flows/review_cycle.py:review_cycle",
            path="/srv/kiemdiem",
            parameter_openapi_schema={"type": "object", "properties": {}},
        )


def test_a_launched_cycle_ticks_every_morning_until_it_is_closed(
    wired: tuple[Engine, str],
    smtp_server: LocalSMTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, url = wired
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))
    _deploy_base()
    plan = str(write_plan(tmp_path))
    summary = launch_cycle(plan, now=local("2026-11-10 08:00").isoformat(), database_url=url)
    assert summary["schedule"]["deployment"] == f"review-cycle/{CYCLE}"
    assert summary["delivery"]["sent"] == 14  # no deliver-outbox deployment: delivered here
    # a relaunch of the same plan keeps one schedule, not two
    launch_cycle(plan, now=local("2026-11-10 09:00").isoformat(), database_url=url)
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(deployment_name(CYCLE))
        assert deployment.parameters == {"cycle_code": CYCLE}
        assert f"cycle:{CYCLE}" in deployment.tags and not deployment.paused
        assert deployment.entrypoint == "flows/review_cycle.py:review_cycle"
        (schedule,) = client.read_deployment_schedules(deployment.id)
        assert schedule.active and schedule.parameters == {"cycle_code": CYCLE}
        assert schedule.schedule.cron == "0 8 * * *"  # type: ignore[union-attr]
        assert schedule.schedule.timezone == "Asia/Ho_Chi_Minh"  # type: ignore[union-attr]
        # prefect.yaml's own deployment still names no cycle
        assert client.read_deployment_by_name(BASE_DEPLOYMENT).parameters == {}
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[f"cycle:{CYCLE}"]))
        )
        assert {r.name for r in runs} >= {f"{CYCLE} · D · launch", f"{CYCLE} · D · delivery"}

    with session_scope(engine) as session:
        session.execute(update(Unit).values(state="closed"))
        close_cycle(session=session, cycle=get_cycle(session, CYCLE), now=local("2027-01-05 08:00"))
    state = review_cycle(
        CYCLE, now=local("2027-01-06 08:00").isoformat(), database_url=url, return_state=True
    )
    assert state.message == f"đợt kiểm điểm {CYCLE} đã kết thúc; lịch chạy của đợt đã tắt"
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name(deployment_name(CYCLE))
        assert deployment.paused
        assert not any(s.active for s in client.read_deployment_schedules(deployment.id))


def test_a_run_whose_database_cannot_answer_is_named_for_its_cycle_alone(
    prefect_api: None, tmp_path: Path
) -> None:
    """Naming the run looks its committee up; a database that cannot answer leaves the cycle
    alone in the names, and it is the run's first task that meets the problem, not its name."""
    missing = f"sqlite:///{tmp_path / 'no-such-directory' / 'kiemdiem.db'}"
    state = review_cycle(
        CYCLE, now=local("2026-11-19 08:00").isoformat(), database_url=missing, return_state=True
    )
    assert state.is_failed() and "unable to open database file" in str(state.message)
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert run.name == f"{CYCLE} · tick" and run.tags == [f"cycle:{CYCLE}"]
    (advance,) = task_runs([run_id], 1)
    assert advance.name == f"{CYCLE} · advance" and advance.state_type == StateType.FAILED


def test_a_delivery_for_every_cycle_is_named_so(
    wired: tuple[Engine, str], smtp_server: LocalSMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _engine, url = wired
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))
    state = deliver_mail(database_url=url, return_state=True)
    assert state.is_completed()
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).name == "all cycles · delivery"
    deliverers = state.result()["deliverers"]
    assert task_run_names(run_id, deliverers) == {
        f"all cycles · deliverer-{n}" for n in range(1, deliverers + 1)
    }
