"""The rows a command hands its flow run through: a live serve is one that beat recently, a
request is claimed once, and a withdrawal and a claim never both win."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.engine import Engine

from models import session_scope, utcnow
from models.handoff import (
    ALIVE_WITHIN,
    ServeHeartbeat,
    beat,
    claim_next,
    finish,
    live_server,
    read_request,
    request_run,
    stop_beating,
    withdraw,
)


def test_only_a_recent_heartbeat_is_a_live_server(engine: Engine) -> None:
    with session_scope(engine) as session:
        assert live_server(session) is None
        beat(session=session, process="office:1", started_at=utcnow())
    with session_scope(engine) as session:
        assert live_server(session) == "office:1"
        row = session.get(ServeHeartbeat, "office:1")
        assert row is not None
        row.beat_at = utcnow() - ALIVE_WITHIN - timedelta(seconds=1)
    with session_scope(engine) as session:
        assert live_server(session) is None  # stopped beating: the command runs it itself
        beat(session=session, process="office:1", started_at=utcnow())
    with session_scope(engine) as session:
        stop_beating(session=session, process="office:1")
    with session_scope(engine) as session:
        assert live_server(session) is None


def test_a_request_is_claimed_once_and_its_result_kept(engine: Engine) -> None:
    parameters = {"cycle_code": "TT-2026", "now": "2026-11-19T08:00:00+07:00"}
    with session_scope(engine) as session:
        first = request_run(session=session, flow="review-cycle", parameters=parameters)
        second = request_run(session=session, flow="review-cycle", parameters=parameters)
    with session_scope(engine) as session:
        claimed = claim_next(session=session, process="office:1")
        assert claimed is not None and claimed.id == first and claimed.status == "running"
        assert json.loads(claimed.parameters) == parameters
    with session_scope(engine) as session:
        other = claim_next(session=session, process="office:2")
        assert other is not None and other.id == second  # never the first again
        assert claim_next(session=session, process="office:2") is None
    with session_scope(engine) as session:
        assert not withdraw(session=session, request_id=first)  # claimed: too late
        finish(session=session, request_id=first, flow_run_id="r1", result={"moved": 3})
        finish(session=session, request_id=second, flow_run_id=None, error="boom")
    with session_scope(engine) as session:
        done, failed = read_request(session, first), read_request(session, second)
        assert done is not None and done.status == "done" and done.claimed_by == "office:1"
        assert json.loads(done.result or "") == {"moved": 3} and done.flow_run_id == "r1"
        assert failed is not None and failed.status == "failed" and failed.error == "boom"


def test_a_withdrawn_request_is_never_run(engine: Engine) -> None:
    with session_scope(engine) as session:
        asked = request_run(session=session, flow="launch-cycle", parameters={"plan_path": "p"})
    with session_scope(engine) as session:
        assert withdraw(session=session, request_id=asked)
        assert not withdraw(session=session, request_id=asked)
    with session_scope(engine) as session:
        assert claim_next(session=session, process="office:1") is None
        request = read_request(session, asked)
        assert request is not None and request.status == "withdrawn"
