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
from dataclasses import dataclass
from functools import cached_property
from json.encoder import py_encode_basestring
from typing import TYPE_CHECKING, Any

# A str as a JSON string, as json.dumps(..., ensure_ascii=False) writes it (the C version).
_string = getattr(json.encoder, "c_encode_basestring", None) or py_encode_basestring

if TYPE_CHECKING:
    from models.outbox import OutboxMessage
    from notifications.render import Rendered

# What the templates only print of each item (`_items.j2`): written in after the template
# ran once per shape, escaped for the HTML part as autoescape would.
_PRINTED_ITEM_FIELDS = ("unit_name", "unit_code", "org_name")
# What every deferred template only prints of the context itself.
_PRINTED = ("recipient_name", "link")


def item(value: Mapping[str, Any]) -> str:
    """One entry of a payload's list (an item, a warning), as JSON (see `Shared`)."""
    return json.dumps(dict(value), ensure_ascii=False)


def unit_item(
    *,
    unit_code: str,
    kind: str,
    stage: str,
    unit_name: str,
    org_name: str,
    due_local: str,
    days_late: int,
) -> str:
    """`item` of one unit's line in a reminder, notice or digest (`_items.j2`), written by
    hand: a province's tick writes tens of thousands, and json.dumps was a tenth of it."""
    return "".join(
        (
            '{"unit_code": ',
            _string(unit_code),
            ', "kind": ',
            _string(kind),
            ', "stage": ',
            _string(stage),
            ', "unit_name": ',
            _string(unit_name),
            ', "org_name": ',
            _string(org_name),
            ', "due_local": ',
            _string(due_local),
            ', "days_late": ',
            str(int(days_late)),
            "}",
        )
    )


@dataclass(frozen=True)
class Shared:
    """What many payloads share (the language, the cycle), written as JSON once: a tick
    queues tens of thousands of them.

    A payload is `{"lang": ..., "context": {...}, "items": [...]}`: the template's context
    without its item list, which follows it (one unit's item is in several mails: each is
    written once, by `item`, and its text shared)."""

    lang: str
    cycle: Mapping[str, str]

    @cached_property
    def _head(self) -> str:
        lang, cycle = json.dumps(self.lang), json.dumps(dict(self.cycle), ensure_ascii=False)
        return f'{{"lang": {lang}, "context": {{"cycle": {cycle}, "recipient_name": '

    def payload(
        self,
        *,
        recipient_name: str,
        link: str,
        items: Sequence[str],
        at_risk: Sequence[str] | None = None,
    ) -> str:
        """The payload of a mail of the cycle to `recipient_name` with `link`, `items` and,
        if given, `at_risk` (each entry already JSON, from `item`)."""
        parts = [self._head, _string(recipient_name), ', "link": ', _string(link)]
        if at_risk is not None:
            parts += [', "at_risk": [', ", ".join(at_risk), "]"]
        parts += ['}, "items": [', ", ".join(items), "]}"]
        return "".join(parts)


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
