"""How a person's action reaches the service: through a page, the CLI, or the system itself.

Front ends say it once around their work (`with acting("page")`, the CLI's transaction
`with acting("cli", operator=<OS user>)`); every audit entry written inside records it, so
the audit log tells the signed-in person's own action from an operator acting on their
behalf with `--as`. An office that runs the pages can turn the CLI off for people's actions
(KIEMDIEM_CLI_PEOPLE_ACTIONS=false): `check_people_may_act` refuses them then.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

from models.errors import ActionRefused, Refusal

Via = Literal["page", "cli", "system"]


@dataclass(frozen=True)
class Acting:
    via: Via = "system"
    # Who typed the command when it is not the person acting (the CLI's OS user).
    operator: str | None = None
    # False when the CLI has been turned off for people's actions.
    people_may_act: bool = True


_SYSTEM = Acting()
_current: ContextVar[Acting | None] = ContextVar("kiemdiem_acting", default=None)


def current() -> Acting:
    return _current.get() or _SYSTEM


@contextmanager
def acting(via: Via, *, operator: str | None = None, people_may_act: bool = True) -> Iterator[None]:
    token = _current.set(Acting(via, operator, people_may_act))
    try:
        yield
    finally:
        _current.reset(token)


def audit_fields() -> dict[str, Any]:
    """The columns of an audit entry that say how the action came."""
    now = current()
    return {"via": now.via, "operator": now.operator}


def entered_fields(member_code: str | None) -> dict[str, Any]:
    """Who typed a text into the record, and how: the signed-in member on a page (or the
    member the system acts as), the operator's OS user at the CLI (never the `--as` member,
    whose identity the CLI only claims)."""
    now = current()
    who = now.operator if now.via == "cli" else member_code
    return {"entered_by": who, "entered_via": now.via}


def recorded_by(via: str, entered_by: str | None, speaker: str | None) -> str | None:
    """The one who typed a text, when not its speaker (the pages' and CLI's "ghi bởi")."""
    if entered_by is None or (via != "cli" and entered_by == speaker):
        return None
    return entered_by


def check_people_may_act() -> None:
    if not current().people_may_act:
        raise ActionRefused(
            Refusal("cli_people_actions_off", fields={"setting": "KIEMDIEM_CLI_PEOPLE_ACTIONS"})
        )


__all__ = [
    "Acting",
    "Via",
    "acting",
    "audit_fields",
    "check_people_may_act",
    "current",
    "entered_fields",
    "recorded_by",
]
