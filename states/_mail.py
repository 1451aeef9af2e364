"""Building a mail to a resolved recipient: every mail the service queues is made here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.settings import Settings
from notifications import Mail, render
from states.recipients import Recipient


def mail_to(
    to: Recipient,
    *,
    kind: str,
    key: str,
    cycle_id: int | None,
    cycle: Mapping[str, str],
    context: Mapping[str, Any],
    settings: Settings,
    urgent: bool = False,
) -> Mail:
    """A mail of `kind` to `to`, rendered in the settings' language; the template sees the
    recipient's name, the cycle (`states.cycles.mail_context`) and `context`."""
    return Mail(
        key=key,
        kind=kind,
        recipient=to.email,
        recipient_name=to.name,
        recipient_ref=to.ref,
        cycle_id=cycle_id,
        urgent=urgent,
        rendered=render(
            kind, {"recipient_name": to.name, "cycle": cycle, **context}, lang=settings.lang
        ),
    )
