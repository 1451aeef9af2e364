"""What every command shares: the clock and actor options, the arguments most commands
take, the database transaction, the consoles, and how free text is printed.

Only typer, rich and `vocabulary` are imported at the top: sqlmodel, `models`, `states` and
Prefect are imported inside the command bodies that need them, so `kiemdiem --help` is quick.
"""

from __future__ import annotations

import gc
import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from vocabulary import N_, names

if TYPE_CHECKING:
    from sqlmodel import Session

# Everything printed is text: names, suggestions, reasons and paths come from people and
# files, so "[/x]" or ":smile:" in them must print as written, never as rich markup (a stray
# closing tag made `unit show` crash for every viewer of the unit). Styles are given as
# `style=` or rich.text.Text, never inside the string.
console = Console(markup=False, emoji=False, highlight=False)
errors = Console(stderr=True, markup=False, emoji=False, highlight=False)

# The levels and remediation statuses as the command line takes them (the stored values,
# the same as models.Level and models.RemediationStatus), without importing models.
LevelChoice = StrEnum("LevelChoice", {key: key for key in names.LEVELS})  # type: ignore[misc]
StatusChoice = StrEnum(  # type: ignore[misc]
    "StatusChoice", {key: key for key in names.REMEDIATION_STATUSES}
)

NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        envvar="KIEMDIEM_NOW",
        help=N_("The cycle clock, ISO 8601 (e.g. 2026-12-02T09:00:00+07:00); default: real time."),
    ),
]
AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        help=N_("Code of the member on whose behalf you act (recorded as an operator's action)."),
    ),
]
CycleArg = Annotated[
    str, typer.Argument(metavar=N_("CYCLE"), help=N_("The cycle's code, e.g. TT-2026."))
]
UnitArg = Annotated[
    str,
    typer.Argument(
        metavar=N_("UNIT"),
        help=N_("A unit's code: O:<org>, T:<org> (leadership), M:<member>, L:<member>."),
    ),
]
UnitsArg = Annotated[
    list[str], typer.Argument(metavar=N_("UNIT"), help=N_("One or more unit codes."))
]
ShortcomingArg = Annotated[
    int,
    typer.Argument(
        metavar=N_("SHORTCOMING"),
        help=N_("The shortcoming's number (its id in `remediation list`)."),
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help=N_("Print it as JSON."))]


def text(value: Any) -> str:
    """Free text (a name, a reason, what a person wrote) as printed: as written, since the
    consoles read no markup; nothing for None."""
    return "" if value is None else str(value)


_collection_held = False


def hold_collection() -> None:
    """Start-up allocates hundreds of thousands of objects (sqlalchemy, the tables, typer's
    parameters) and frees almost none: the cyclic collector's passes over them are a tenth of
    a short command's CPU (`bench/cli_status.py`). `main` holds it until the command
    has imported what it needs (`collect_again`)."""
    global _collection_held
    if gc.isenabled():
        gc.disable()
        _collection_held = True


def collect_again(*, freeze: bool = True) -> None:
    """The command's modules are in: collect again, never rescanning what start-up made
    (`freeze`). A long command, a server or the demo, must collect: each such command calls
    this, every database command does through `transaction`, and `main` when it ends."""
    global _collection_held
    if _collection_held:
        _collection_held = False
        if freeze:
            gc.freeze()
        gc.enable()


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction on the configured database; the tables are created if missing."""
    from models import get_engine, init_db, load_settings, session_scope
    from states.acting import acting

    collect_again()
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
