"""A real SMTP server (aiosmtpd) on loopback that records what it receives."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from functools import cached_property
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One accepted message; headers are parsed only when asked for."""

    recipients: tuple[str, ...]
    raw: bytes

    @cached_property
    def _parsed(self) -> Message:
        return message_from_bytes(self.raw)

    @property
    def message_id(self) -> str:
        return str(self._parsed.get("Message-ID", ""))

    @property
    def subject(self) -> str:
        return str(make_header(decode_header(self._parsed.get("Subject", ""))))


class Recorder:
    """Keeps every message the server accepts; tests and the demo read `messages`."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.messages.append(Received(tuple(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self._lock:
            return [m for m in self.messages if address in m.recipients]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalSMTPServer:
    """`with LocalSMTPServer() as server:` a recording SMTP server on 127.0.0.1."""

    def __init__(self, handler: Recorder | None = None, port: int | None = None) -> None:
        self.handler = handler or Recorder()
        self.port = port or free_port()
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def start(self) -> LocalSMTPServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop the server; stopping one that is not running is a no-op."""
        self._controller.stop(no_assert=True)

    def __enter__(self) -> LocalSMTPServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class _Journal:
    """A handler that writes one line per accepted message, for a server in another process."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("a", encoding="utf-8")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.file.write(" ".join(envelope.rcpt_tos) + "\n")
        self.file.flush()
        return "250 Message accepted for delivery"


class SMTPServerProcess:
    """A real SMTP server in a process of its own, so it runs on the other core.

    The demo uses it: in the same process, server and deliverer would take turns on one GIL.
    """

    def __init__(self, journal: Path) -> None:
        self.port = free_port()
        self.journal = journal
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SMTPServerProcess:
        self.journal.write_text("", encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "kiemdiem.demo.smtp_server",
            str(self.port),
            str(self.journal),
        ]
        self._process = subprocess.Popen(command)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the demo's SMTP server did not start on port {self.port}")

    def received(self) -> int:
        """How many messages the server has accepted so far."""
        with self.journal.open(encoding="utf-8") as f:
            return sum(1 for _ in f)

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)


def _serve(port: int, journal: Path) -> None:
    controller = Controller(_Journal(journal), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), Path(sys.argv[2]))
