"""Outbox rows become MIME messages: encoded subjects, safe names, a Message-ID from the key."""

from __future__ import annotations

import hashlib
import re
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def message_id(key: str, sender: str) -> str:
    """The same key always gives the same Message-ID, so a resend is recognisably the same mail."""
    domain = sender.rpartition("@")[2] or "kiemdiem.local"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def safe_display_name(name: str) -> str:
    """A display name with no line breaks or control characters, so it cannot add headers."""
    return " ".join(_CONTROL.sub(" ", name).split())


def build_mime(
    *,
    sender: str,
    recipient: str,
    recipient_name: str,
    subject: str,
    text: str,
    html: str,
    msg_id: str,
) -> MIMEMultipart:
    """A multipart/alternative message; email.mime is ~10x cheaper to build than EmailMessage."""
    message = MIMEMultipart("alternative")
    # compat32 messages take a Header and fold its encoded words correctly; typeshed says str.
    message["Subject"] = Header(safe_display_name(subject), "utf-8")  # type: ignore[assignment]
    message["From"] = sender
    message["To"] = formataddr((safe_display_name(recipient_name), recipient), charset="utf-8")
    message["Message-ID"] = msg_id
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message.attach(MIMEText(text, "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    return message
