"""Render mail (pure Jinja2), keep it in the durable outbox, and deliver it with aiosmtplib."""

from notifications.message import build_mime, message_id, safe_display_name
from notifications.outbox import Mail, counts, queue
from notifications.render import KINDS, LANGUAGES, Rendered, Slot, render, render_many
from notifications.smtp import DeliveryReport, deliver, deliver_async

__all__ = [
    "KINDS",
    "LANGUAGES",
    "DeliveryReport",
    "Mail",
    "Rendered",
    "Slot",
    "build_mime",
    "counts",
    "deliver",
    "deliver_async",
    "message_id",
    "queue",
    "render",
    "render_many",
    "safe_display_name",
]
