"""Settings Prefect must see before it is imported, for the embedded (ephemeral) API."""

from __future__ import annotations

import os
from pathlib import Path


def prepare_prefect(home: Path | None = None) -> None:
    """Defaults that make Prefect's ephemeral API work on a bare machine.

    Its first start migrates a fresh SQLite database, which takes ~20 s here: longer than
    the default 20 s startup timeout. Its analytics heartbeat can hit "database is locked".
    Values already set in the environment win, so an operator can point at a real server.
    """
    if home is not None:
        os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def start_embedded_prefect() -> None:
    """Start Prefect's embedded API now (when no PREFECT_API_URL names a server), so the first
    flow finds it running. Its first start on a fresh PREFECT_HOME migrates the database.

    Call it in a thread beside other work, and join that thread before the first flow: Prefect
    marks the server running before it answers, so a flow started meanwhile would not wait."""
    if os.environ.get("PREFECT_API_URL"):
        return
    from prefect.server.api.server import SubprocessASGIServer

    SubprocessASGIServer().start()
