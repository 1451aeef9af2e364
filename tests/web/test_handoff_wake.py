"""serve's handoff loop wakes at once when a command rings its local socket, and still finds a
request by polling when no ring comes: a real Unix datagram socket and a real SQLite file,
no Prefect (the loop's waiting and claiming are exercised without running a flow)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator

import pytest

from models import get_engine, init_db, session_scope
from models.handoff import FlowRequest, claim_next, request_run, wake, wake_path
from models.settings import Settings
from web.handoff import CLAIM_EVERY, Handoff


@pytest.fixture
def handoff(sqlite_url: str) -> Iterator[Handoff]:
    init_db(get_engine(sqlite_url))
    loop = Handoff(Settings(database_url=sqlite_url))
    assert loop.bell is not None
    yield loop
    loop.stop()


def _waited(loop: Handoff, ring_after: float | None) -> float:
    """How long the loop's wait lasted, with a command ringing `ring_after` s into it."""
    if ring_after is not None:
        threading.Timer(ring_after, wake, args=(loop.process,)).start()
    start = time.perf_counter()
    loop._wait()
    return time.perf_counter() - start


def test_a_ring_ends_the_wait_at_once(handoff: Handoff) -> None:
    assert _waited(handoff, None) >= CLAIM_EVERY * 0.9  # nobody rang: a whole poll interval
    assert _waited(handoff, 0.05) < CLAIM_EVERY * 0.6


def test_rings_that_piled_up_wake_it_once(handoff: Handoff) -> None:
    for _ in range(3):
        assert wake(handoff.process)
    assert _waited(handoff, None) < CLAIM_EVERY * 0.5  # the three drained together
    assert _waited(handoff, None) >= CLAIM_EVERY * 0.9  # and none is left for the next wait


def test_a_request_is_claimed_after_the_ring_or_by_polling(
    handoff: Handoff, sqlite_url: str
) -> None:
    engine = get_engine(sqlite_url)

    def ask_and_time_the_claim(ring: bool) -> float:
        with session_scope(engine) as session:
            request_id = request_run(
                session=session, flow="review-cycle", parameters={"cycle_code": "TT-2026"}
            )
        if ring:
            wake(handoff.process)
        start = time.perf_counter()
        handoff._wait()
        with session_scope(engine) as session:
            claimed = claim_next(session=session, process=handoff.process)
            assert claimed is not None and claimed.id == request_id
            assert session.get(FlowRequest, request_id).status == "running"  # type: ignore[union-attr]
        return time.perf_counter() - start

    assert ask_and_time_the_claim(ring=True) < CLAIM_EVERY * 0.6
    # No ring (a command on another host): the next poll still finds it.
    assert CLAIM_EVERY * 0.9 <= ask_and_time_the_claim(ring=False) < CLAIM_EVERY * 3


def test_stopping_removes_the_socket_and_a_ring_then_says_so(sqlite_url: str) -> None:
    init_db(get_engine(sqlite_url))
    loop = Handoff(Settings(database_url=sqlite_url))
    path = wake_path(loop.process)
    assert os.path.exists(path)
    loop.stop()
    assert not os.path.exists(path)
    assert not wake(loop.process)  # the command falls back on serve's polling, or its own run
    assert not wake("another-host:1")
