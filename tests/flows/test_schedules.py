"""Launching a cycle gives it its own morning schedule on the Prefect API, found by its code;
closing it stops the ticks; runs carry the cycle in names and tags."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
from sqlalchemy import update
from sqlalchemy.engine import Engine

from flows import launch_cycle, review_cycle
from flows._schedules import BASE_DEPLOYMENT, deployment_name
from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import Unit, session_scope
from states.closing import close_cycle
from states.cycles import get_cycle
from tests.factories import write_plan
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
        assert {r.name for r in runs} >= {f"{CYCLE}-launch", f"{CYCLE}-delivery"}

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
