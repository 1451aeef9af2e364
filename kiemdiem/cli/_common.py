"""What every command shares: the clock option, the database, and error reporting."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from sqlmodel import Session

from models import get_engine, init_db, load_settings, session_scope
from states.acting import acting

# Everything printed is text: names, suggestions, reasons and paths come from people and
# files, so "[/x]" or ":smile:" in them must print as written, never as rich markup (a stray
# closing tag made `unit show` crash for every viewer of the unit). Styles are given as
# `style=` or rich.text.Text, never inside the string.
console = Console(markup=False, emoji=False, highlight=False)
errors = Console(stderr=True, markup=False, emoji=False, highlight=False)

NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        envvar="KIEMDIEM_NOW",
        help="The cycle clock, ISO 8601 (e.g. 2026-12-02T09:00:00+07:00); default: real time.",
    ),
]
AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        help="Code of the member on whose behalf you act (recorded as an operator's action).",
    ),
]


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction on the configured database; the tables are created if missing."""
    engine = get_engine()
    init_db(engine)
    # Whatever the command does to people's units, an operator does it on their behalf.
    people_may_act = load_settings().cli_people_actions
    with acting("cli", operator=operator(), people_may_act=people_may_act):
        with session_scope(engine) as session:
            yield session


def operator() -> str:
    """Who runs the command, as the audit log records it beside the member named by --as."""
    try:
        return getpass.getuser()[:64]
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
