"""The tick's artifacts while a secret round is open: ballots change nothing in them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prefect.artifacts import Artifact
from sqlalchemy.engine import Engine

from flows import review_cycle
from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import Level
from states import vote
from states.voting import close_vote
from tests.states.helpers import act, launch_cycle, local, place
from vocabulary import _
from vocabulary.names import STATES, capitalized

NOW = local("2026-11-10 09:00")
KEYS = ("states", "overdue", "process", "missing-addresses", "insights")


def _tick_and_read(url: str) -> dict[str, object]:
    state = review_cycle("TT-2026", now=NOW.isoformat(), database_url=url, return_state=True)
    assert state.is_completed()
    tables: dict[str, object] = {}
    for key in KEYS:
        artifact = Artifact.get(f"tt-2026-{key}")
        assert artifact is not None
        tables[key] = artifact.data
    return tables


def test_ballots_of_a_secret_round_change_no_artifact(
    wired: tuple[Engine, str],
    smtp_server: LocalSMTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, url = wired
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))
    launch_cycle(engine, tmp_path, local("2026-11-10 08:00"))
    place(engine, "M:B3", "vote", proposed_level=Level.GOOD)  # voters: B1, B2, B4
    _tick_and_read(url)  # the first tick delivers the plan's mail: from here on all is still
    before = _tick_and_read(url)
    for voter, level in (("B1", Level.GOOD), ("B2", Level.EXCELLENT), ("B4", Level.GOOD)):
        act(engine, vote, ballots={"M:B3": level}, actor_code=voter, now=NOW)
        assert _tick_and_read(url) == before
    act(engine, close_vote, unit_codes=["M:B3"], actor_code="B1", now=NOW)
    after = _tick_and_read(url)
    assert after["states"] != before["states"]  # the close moved M:B3 on to approval
    # The tables speak the office's language (Vietnamese by default), as `cycle status` does.
    approval = {_("state"): capitalized(STATES["approval"]), _("units"): 1}
    assert "trạng thái" in approval and approval in json.loads(str(after["states"]))
