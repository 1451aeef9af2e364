"""Building a mail to a resolved recipient: every mail the service queues is made here."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from models.settings import Settings
from notifications import Mail, Slot, render, render_iter
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


def mails_to(
    addressed: Iterable[tuple[Recipient, str, Mapping[str, Any]]],
    *,
    kind: str,
    cycle_id: int | None,
    cycle: Mapping[str, str],
    settings: Settings,
) -> Iterator[Mail]:
    """`mail_to` for many (recipient, key, context) at once, made as they are read (`queue`
    reads a thousand at a time: a province's launch never holds its 300,000 mails at once).
    The template runs once per distinct shape of context (`notifications.render_iter`; the
    recipient's name is a Slot, and so should every value in `context` that the template
    only prints)."""
    pending: deque[tuple[Recipient, str]] = deque()

    def contexts() -> Iterator[dict[str, Any]]:
        for to, key, context in addressed:
            pending.append((to, key))
            yield {"recipient_name": Slot(to.name), "cycle": cycle, **context}

    for made in render_iter(kind, contexts(), lang=settings.lang):
        to, key = pending.popleft()
        yield Mail(
            key=key,
            kind=kind,
            recipient=to.email,
            recipient_name=to.name,
            recipient_ref=to.ref,
            cycle_id=cycle_id,
            rendered=made,
        )
