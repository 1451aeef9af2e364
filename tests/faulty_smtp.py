"""A real aiosmtpd server on loopback that misbehaves on cue, for delivery fault tests.

`FaultyRecorder` is the demo's recording handler plus faults:

- `reject`: addresses answered with a given reply (e.g. "550 5.1.1 ...") at RCPT TO;
- `inject(k, fault)`: the k-th DATA from now is answered with `fault` (e.g. "421 ...") instead
  of being accepted, or, with `DROP`, the server closes the connection instead of answering;
- `hold_after(n)`: once n messages have been accepted in all, every further message is
  accepted (recorded) but its 250 reply is held back until `release()`, as when a server
  takes a message and the link fails before the client hears so; `held` says how many wait.

Only accepted messages are recorded in `messages`; a refused or dropped one is not.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from kiemdiem.demo.smtp_server import LocalSMTPServer, Recorder

DROP = "drop"


class FaultyRecorder(Recorder):
    def __init__(self, reject: dict[str, str] | None = None) -> None:
        super().__init__()
        self.reject = {address.lower(): reply for address, reply in (reject or {}).items()}
        self.refused: list[str] = []  # recipients refused at RCPT, in order
        self.data_commands = 0  # DATA commands answered or dropped so far, faults included
        self.injected: list[tuple[int, str]] = []  # (DATA ordinal, fault) as they happened
        self.held = 0  # DATA replies waiting for `release()` right now
        self._faults: dict[int, str] = {}
        self._hold_after: int | None = None
        self._open = threading.Event()
        self._open.set()

    def inject(self, k: int, fault: str) -> None:
        """Answer the k-th DATA command from now (k >= 1) with `fault`, or drop it (DROP)."""
        with self._lock:
            self._faults[self.data_commands + k] = fault

    def hold_after(self, accepted: int) -> None:
        """Hold back every DATA reply once `accepted` messages have been accepted in all."""
        with self._lock:
            self._hold_after = accepted
            self._open.clear()

    def release(self) -> None:
        """Send the held replies (to clients still there) and hold no more."""
        self._open.set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.reject.get(address.lower())
        if reply is not None:
            with self._lock:
                self.refused.append(address)
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.data_commands += 1
            fault = self._faults.pop(self.data_commands, None)
            if fault is not None:
                self.injected.append((self.data_commands, fault))
            hold = (
                fault is None
                and self._hold_after is not None
                and len(self.messages) >= self._hold_after
                and not self._open.is_set()
            )
            if hold:
                self.held += 1
        if fault == DROP:
            # The client has sent the whole message and waits for a reply that never comes.
            server.transport.close()
            return "421 4.4.2 connection dropped"  # goes nowhere: the transport is closed
        if fault is not None:
            return fault
        reply = await super().handle_DATA(server, session, envelope)
        if hold:
            # Accepted and recorded, but the client does not hear so until `release()`; if it
            # goes away meanwhile, aiosmtpd cancels this handler and the reply is never sent.
            try:
                await asyncio.to_thread(self._open.wait)
            finally:
                with self._lock:
                    self.held -= 1
        return reply


class FaultySMTPServer(LocalSMTPServer):
    """`with FaultySMTPServer(FaultyRecorder(...)) as server:`; stopping releases held replies."""

    handler: FaultyRecorder

    def __init__(self, handler: FaultyRecorder | None = None) -> None:
        super().__init__(handler or FaultyRecorder())

    def stop(self) -> None:
        self.handler.release()  # a held reply would keep the server's thread from ending
        super().stop()


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Poll `condition` until it holds; fail the test with `what` if it does not in time."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)
