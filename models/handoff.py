"""Flow runs a one-off command hands to the office's running `kiemdiem serve`.

A `cycle tick` or `cycle launch` from the command line would otherwise start Prefect's
embedded API in its own process (20-45 s). When a `kiemdiem serve` is up on the same
database (its heartbeat is fresh), the command writes a `FlowRequest` row instead; serve's
handoff loop claims it within a second, runs the flow in its already-started Prefect, and
writes the result back for the command to print. The rows are durable, so who asked, when,
which process ran it and which flow run it became stay on record.

The row is the request; a datagram on serve's local socket (`wake_path`) only says "look
now", so serve claims at once instead of at its next poll, and a lost or impossible wake-up
(serve on another host, another temporary directory) costs nothing but that poll.

A claim is one conditional UPDATE (`WHERE status = 'pending'`), so two serve processes never
run the same request, and a command that gives up waiting withdraws its request the same way:
either the withdrawal or the claim wins, never both. Nothing here imports Prefect.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Text, delete, update
from sqlmodel import Field, Session, SQLModel, col, select

from models._types import UTCDateTime, utcnow

# A heartbeat older than this is a serve process that stopped (it beats every 2 s).
ALIVE_WITHIN = timedelta(seconds=10)
FLOWS = ("review-cycle", "launch-cycle")


class ServeHeartbeat(SQLModel, table=True):
    """A running `kiemdiem serve` that takes handed-off flow runs, and when it last said so."""

    process: str = Field(primary_key=True, max_length=128)  # host:pid
    started_at: datetime = Field(sa_type=UTCDateTime)
    beat_at: datetime = Field(sa_type=UTCDateTime, index=True)


class FlowRequest(SQLModel, table=True):
    """One flow run asked for by a command, and what became of it."""

    id: int | None = Field(default=None, primary_key=True)
    flow: str = Field(max_length=32)
    parameters: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    # pending → running → done | failed; or pending → withdrawn (the command gave up)
    status: str = Field(default="pending", max_length=16, index=True)
    requested_by: str = Field(max_length=128)  # host:pid of the command
    requested_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    flow_run_id: str | None = Field(default=None, max_length=36)
    result: str | None = Field(default=None, sa_column=Column(Text))  # JSON
    error: str | None = Field(default=None, sa_column=Column(Text))


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(*, session: Session, process: str, started_at: datetime) -> None:
    """Record that `process` is alive now; forget processes silent for an hour."""
    now = utcnow()
    row = session.get(ServeHeartbeat, process)
    if row is None:
        session.add(ServeHeartbeat(process=process, started_at=started_at, beat_at=now))
    else:
        row.beat_at = now
    session.execute(
        delete(ServeHeartbeat).where(col(ServeHeartbeat.beat_at) < now - timedelta(hours=1))
    )


def stop_beating(*, session: Session, process: str) -> None:
    """`process` takes no more requests (serve is stopping)."""
    session.execute(delete(ServeHeartbeat).where(col(ServeHeartbeat.process) == process))


def live_server(session: Session) -> str | None:
    """The serve process that beat most recently, if it beat within ALIVE_WITHIN (real time:
    a command's --now is the cycle's clock, not the machine's)."""
    row = session.exec(
        select(ServeHeartbeat)
        .where(ServeHeartbeat.beat_at >= utcnow() - ALIVE_WITHIN)
        .order_by(col(ServeHeartbeat.beat_at).desc())
    ).first()
    return row.process if row else None


def wake_path(process: str) -> str:
    """The local datagram socket the serve process `process` (host:pid) listens on."""
    return os.path.join(tempfile.gettempdir(), f"kiemdiem-serve-{process.rsplit(':', 1)[-1]}.sock")


def wake(process: str) -> bool:
    """Tell the serve process `process` that a request waits; False when it cannot be told
    (another host, no socket, not ours to write): it still finds the request by polling."""
    host, _, _ = process.rpartition(":")
    if host != socket.gethostname():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"wake", wake_path(process))
    except OSError:
        return False
    return True


def request_run(*, session: Session, flow: str, parameters: dict[str, Any]) -> int:
    """Ask for a run of `flow` with `parameters`; the request's id."""
    if flow not in FLOWS:
        raise ValueError(f"no handoff for flow {flow!r}")
    row = FlowRequest(
        flow=flow,
        parameters=json.dumps(parameters),
        requested_by=this_process(),
        requested_at=utcnow(),
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def _move(session: Session, request_id: int, source: str, **values: Any) -> bool:
    """Move the request from `source` to new values; False when it was not in `source`."""
    done = session.execute(
        update(FlowRequest)
        .where(col(FlowRequest.id) == request_id, col(FlowRequest.status) == source)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def claim_next(*, session: Session, process: str) -> FlowRequest | None:
    """The oldest pending request, now claimed by `process`; None when there is none (or
    another process claimed it first)."""
    pending = session.exec(
        select(FlowRequest.id)
        .where(FlowRequest.status == "pending")
        .order_by(col(FlowRequest.id))
        .limit(1)
    ).first()
    if pending is None:
        return None
    if not _move(
        session, pending, "pending", status="running", claimed_by=process, claimed_at=utcnow()
    ):
        return None
    return session.get(FlowRequest, pending, populate_existing=True)


def finish(
    *,
    session: Session,
    request_id: int,
    flow_run_id: str | None,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Record how the claimed request ended: its result, or the error that stopped it."""
    _move(
        session,
        request_id,
        "running",
        status="failed" if error is not None else "done",
        finished_at=utcnow(),
        flow_run_id=flow_run_id,
        result=None if result is None else json.dumps(result, default=str),
        error=error,
    )


def withdraw(*, session: Session, request_id: int) -> bool:
    """Take back a request nobody claimed yet; False when a serve process already has it."""
    return _move(session, request_id, "pending", status="withdrawn", finished_at=utcnow())


def read_request(session: Session, request_id: int) -> FlowRequest | None:
    return session.get(FlowRequest, request_id, populate_existing=True)


__all__ = [
    "ALIVE_WITHIN",
    "FlowRequest",
    "ServeHeartbeat",
    "beat",
    "claim_next",
    "finish",
    "live_server",
    "read_request",
    "request_run",
    "stop_beating",
    "this_process",
    "wake",
    "wake_path",
    "withdraw",
]
