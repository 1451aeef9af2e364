"""A real SMTP server (aiosmtpd) on loopback that records what it receives."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from functools import cached_property
from email.header import decode_header, make_header
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
