"""`kiemdiem serve`'s handoff loop: it runs the flow runs a command asked it for.

At start it brings up Prefect (the embedded API, or the server PREFECT_API_URL names) and
imports the flows, then beats every 2 s so that a command sees a warm process is there; a
thread claims requests (models.handoff) as soon as a command wakes it on its local socket,
and by polling twice a second when no wake-up comes, and runs each flow here, so a
`kiemdiem cycle tick` answers in a second or two instead of starting Prefect itself. The runs
are ordinary flow runs of this process's Prefect, so its UI shows them like the morning ticks.
A request whose flow failed records the error; the command prints it. Every flow here is safe
to rerun, so a command that stops waiting (serve died mid-run) runs the flow itself.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
from typing import Any

from models import get_engine, session_scope, utcnow
from models.handoff import (
    beat,
    claim_next,
    finish,
    stop_beating,
    this_process,
    wake,
    wake_path,
)
from models.settings import Settings

log = logging.getLogger("kiemdiem.serve")

BEAT_EVERY = 2.0
CLAIM_EVERY = 0.5


def warm_prefect(niceness: int = 0) -> None:
    """Start this process's Prefect API client (and the embedded server when there is no
    PREFECT_API_URL) and import the flows, so a handed-off run pays neither. The embedded
    server's process runs `niceness` below the pages (KIEMDIEM_TICK_NICE)."""
    from prefect import get_client

    import flows  # noqa: F401
    from kiemdiem.prefect_env import start_embedded_prefect_yielding

    start_embedded_prefect_yielding(niceness)

    with get_client(sync_client=True) as client:
        client.hello()


def run_request(flow: str, parameters: dict[str, Any], database_url: str) -> tuple[str, Any]:
    """Run one requested flow here; (its flow run id, its summary)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows import launch_here, tick_here

    chosen: Any = {"review-cycle": tick_here, "launch-cycle": launch_here}[flow]
    # No flow-run heartbeat: serve's own heartbeat row is what tells the waiting command
    # that the run died with serve (it then reruns it), and Prefect's engine ends every run
    # by joining its heartbeat thread, which sleeps in whole seconds: 0.5 s a run on average,
    # half of a small tick's 1.1 s here.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        state = chosen(**parameters, database_url=database_url, return_state=True)
    summary = state.result()  # raises the flow's own error when it failed
    return str(state.state_details.flow_run_id), summary


class Handoff(threading.Thread):
    """Warm Prefect, then beat and run claimed requests until stopped."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(name="handoff", daemon=True)
        self.settings = settings
        self.process = this_process()
        self.stopped = threading.Event()
        self.heart: threading.Thread | None = None
        self.bell = self._listen()
        self.warmed = threading.Event()  # Prefect started here, or failed to

    def run(self) -> None:
        try:
            warm_prefect(self.settings.tick_nice)
        except Exception:  # no Prefect: the commands keep running their flows themselves
            log.exception("Prefect did not start; commands will not be handed to this process")
            return
        finally:
            self.warmed.set()
        started = utcnow()
        self.heart = threading.Thread(
            target=self._beat, args=(started,), name="heartbeat", daemon=True
        )
        self.heart.start()
        while not self.stopped.is_set():
            try:
                if not self.take_one():
                    self._wait()
            except Exception:  # a lock or a dropped connection: try again shortly
                log.exception("the handoff loop failed; trying again")
                self.stopped.wait(CLAIM_EVERY)
        self.stop()

    def _listen(self) -> socket.socket | None:
        """The socket commands wake this process on; None when it cannot be made (then
        polling alone finds their requests)."""
        path = wake_path(self.process)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # left by an earlier process with this pid
        try:
            bell = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            bell.bind(path)
        except OSError:
            log.warning("no wake-up socket at %s; requests are found by polling", path)
            return None
        return bell

    def _wait(self) -> None:
        """Until a command rings, or CLAIM_EVERY passes (a wake-up that never came)."""
        if self.bell is None:
            self.stopped.wait(CLAIM_EVERY)
            return
        self.bell.settimeout(CLAIM_EVERY)
        with contextlib.suppress(TimeoutError, BlockingIOError):
            while self.bell.recv(64) and not self.stopped.is_set():
                self.bell.settimeout(0)  # drain the rings that came meanwhile, then claim

    def stop(self) -> None:
        """Take no more requests: a command from now on runs its flow itself."""
        self.stopped.set()
        wake(self.process)  # out of its wait at once
        if self.heart is not None:  # a beat in flight must not land after the withdrawal
            self.heart.join(timeout=5)
        try:
            with session_scope(self._engine()) as session:
                stop_beating(session=session, process=self.process)
        except Exception:  # stale within ALIVE_WITHIN anyway
            log.exception("could not withdraw the heartbeat")
        if self.bell is not None:
            with contextlib.suppress(OSError):
                os.unlink(wake_path(self.process))

    def _engine(self) -> Any:
        return get_engine(self.settings.database_url)

    def _beat(self, started: Any) -> None:
        while not self.stopped.is_set():
            try:
                with session_scope(self._engine()) as session:
                    beat(session=session, process=self.process, started_at=started)
            except Exception:
                log.exception("the heartbeat failed; trying again")
            self.stopped.wait(BEAT_EVERY)

    def take_one(self) -> bool:
        """Claim and run the oldest pending request; False when there was none."""
        with session_scope(self._engine()) as session:
            request = claim_next(session=session, process=self.process)
            if request is None:
                return False
            assert request.id is not None
            request_id, flow, parameters = request.id, request.flow, json.loads(request.parameters)
        run_id: str | None = None
        try:
            run_id, summary = run_request(flow, parameters, self.settings.database_url)
        except Exception as exc:  # the command prints it; the next request still runs
            log.warning("handed-off %s failed: %s", flow, exc)
            error = f"{type(exc).__name__}: {exc}"
            with session_scope(self._engine()) as session:
                finish(session=session, request_id=request_id, flow_run_id=run_id, error=error)
            return True
        with session_scope(self._engine()) as session:
            finish(session=session, request_id=request_id, flow_run_id=run_id, result=summary)
        log.warning("handed-off %s done (flow run %s)", flow, run_id)
        return True


__all__ = ["Handoff", "run_request", "warm_prefect"]
