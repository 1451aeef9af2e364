"""Mail queued as data and rendered at delivery.

A tick that escalates a province queues tens of thousands of mails, a committee's digest
listing hundreds of units; rendering them all inside the tick's transaction cost it most of
its time and memory. Those mails are queued as a JSON payload instead (the template's
context and the language), and `render_queued` renders a claimed batch just before it is
sent, with `render_many` (its template run once per shape). The idempotency key, the
recipient and the quiet hours are the row's as for any mail; rendering is pure, so a row
rendered twice (a retry, a restart) gives the same message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.outbox import OutboxMessage
    from notifications.render import Rendered

# Per kind, what its template only prints of each item (`_items.j2`): written in after the
# template ran once per shape, escaped for the HTML part as autoescape would.
_PRINTED_ITEM_FIELDS = ("unit_name", "unit_code", "org_name")
# What every deferred template only prints of the context itself.
_PRINTED = ("recipient_name", "link")


def payload(*, lang: str, context: Mapping[str, Any], items: Sequence[str] = ()) -> str:
    """The JSON a row queued as data holds: the template's context in `lang`.

    `items`: the context's item list, each already JSON (one unit's item appears in several
    recipients' mails; it is written once and its text shared).
    """
    head = json.dumps({"lang": lang, "context": dict(context)}, ensure_ascii=False)
    if not items:
        return head
    # {"lang": ..., "context": {...}} -> the same with "items": [...] after the context.
    return f'{head[:-1]}, "items": [{",".join(items)}]}}'


def item(value: Mapping[str, Any]) -> str:
    """One item of a payload's item list, as JSON (see `payload`)."""
    return json.dumps(dict(value), ensure_ascii=False)


def _context(row: OutboxMessage) -> tuple[str, dict[str, Any]]:
    assert row.payload is not None
    data = json.loads(row.payload)
    context: dict[str, Any] = data["context"]
    if "items" in data:
        context["items"] = data["items"]
    return data["lang"], context


def render_queued(rows: Sequence[OutboxMessage]) -> dict[int, Rendered]:
    """The rendered mail of each row queued as data (row id -> subject, text, HTML), the
    rows of one kind and language rendered together."""
    from notifications.render import Slot, render_many

    groups: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
    for row in rows:
        if row.payload is None or row.id is None:
            continue
        lang, context = _context(row)
        for name in _PRINTED:
            if name in context:
                context[name] = Slot(context[name])
        context["items"] = [
            {k: Slot(v) if k in _PRINTED_ITEM_FIELDS else v for k, v in i.items()}
            for i in context.get("items", [])
        ]
        groups.setdefault((row.kind, lang), []).append((row.id, context))
    out: dict[int, Rendered] = {}
    for (kind, lang), placed in groups.items():
        made = render_many(kind, [context for _, context in placed], lang=lang)
        out.update((row_id, rendered) for (row_id, _), rendered in zip(placed, made, strict=True))
    return out


def fill(rows: Sequence[OutboxMessage]) -> None:
    """Give each detached row queued as data its rendered subject and bodies, in memory only
    (the deliverer's claimed rows: nothing writes them back)."""
    by_id = {row.id: row for row in rows}
    for row_id, rendered in render_queued(rows).items():
        row = by_id[row_id]
        row.subject, row.body_text, row.body_html = rendered.subject, rendered.text, rendered.html


def subject(row: OutboxMessage) -> str:
    """The row's subject, rendered from its payload when it was queued as data."""
    if row.payload is None or row.id is None:
        return row.subject
    return render_queued([row])[row.id].subject
