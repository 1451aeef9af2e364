"""Reading the mail a real SMTP server received, as a person's mail program shows it."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

from kiemdiem.demo.smtp_server import Received


def text_of(received: Received) -> str:
    message = message_from_bytes(received.raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(received: Received) -> str:
    message = message_from_bytes(received.raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def links_in(text: str, base_url: str) -> list[str]:
    return re.findall(re.escape(base_url) + r"/[^\s\"'<>]+", text)
