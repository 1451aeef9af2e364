"""Render mail (pure Jinja2), keep it in the durable outbox, and deliver it with aiosmtplib.

Imported lazily (PEP 562): a reader of the outbox (a status) does not load Jinja2 or
aiosmtplib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from models._lazy import lazy_package

if TYPE_CHECKING:
    from notifications.message import build_mime, message_id, safe_display_name
    from notifications.outbox import Mail, counts, queue
    from notifications.render import (
        KINDS,
        LANGUAGES,
        Rendered,
        Slot,
        render,
        render_iter,
        render_many,
    )
    from notifications.smtp import DeliveryReport, deliver, deliver_async

# Each public name and the module that defines it.
_WHERE = {
    "build_mime": "notifications.message",
    "message_id": "notifications.message",
    "safe_display_name": "notifications.message",
    "Mail": "notifications.outbox",
    "counts": "notifications.outbox",
    "queue": "notifications.outbox",
    "KINDS": "notifications.render",
    "LANGUAGES": "notifications.render",
    "Rendered": "notifications.render",
    "Slot": "notifications.render",
    "render": "notifications.render",
    "render_iter": "notifications.render",
    "render_many": "notifications.render",
    "DeliveryReport": "notifications.smtp",
    "deliver": "notifications.smtp",
    "deliver_async": "notifications.smtp",
}

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
    "render_iter",
    "render_many",
    "safe_display_name",
]

lazy_package(__name__, _WHERE)
