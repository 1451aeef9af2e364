"""The command line as a user runs it: real files, a real SQLite database, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kiemdiem.cli import app
from models import ActionRefused
from states import MACHINES
from tests.factories import ORGS, write_district, write_plan

runner = CliRunner()

# These tests assert the English wording; Vietnamese is the default.
pytestmark = pytest.mark.usefixtures("english")
ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_shows_the_diagrams_the_code_generates() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for machine in MACHINES:
        assert machine.mermaid() in readme


def test_the_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    marked = re.search(r"<!-- test-command -->\n```sh\n(.+)\n```\n<!-- /test-command -->", readme)
    assert marked and "pytest" in marked.group(1)
    assert "<!-- test-command -->" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_import_refusal_exits_nonzero_with_file_and_line(tmp_path: Path) -> None:
    orgs = [dict(o) for o in ORGS]
    orgs[3]["parent_code"] = "NOPE"
    result = runner.invoke(app, ["org", "import", *map(str, write_district(tmp_path, orgs))])
    assert result.exit_code == 1
    assert "organizations.csv:5: parent_code 'NOPE'" in str(result.exception)


def test_status_json_and_actions_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    assert runner.invoke(app, ["org", "import", *map(str, write_district(tmp_path))]).exit_code == 0
    # Launch through the service layer: the flow path is covered by tests/flows.
    from models import get_engine, load_settings, session_scope
    from states import launch, load_plan
    from tests.states.helpers import local

    with session_scope(get_engine()) as session:
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path)),
            now=local("2026-11-10 08:00"),
            settings=load_settings(),
        )
    refused = runner.invoke(
        app,
        [
            "unit",
            "submit",
            "TT-2026",
            "M:A3",
            "--as",
            "A3",
            "--level",
            "good",
            "--now",
            "2026-11-10T09:00:00+07:00",
        ],
    )
    assert refused.exit_code == 1 and isinstance(refused.exception, ActionRefused)
    assert refused.exception.refusals[0].fields["state"] == "plan_issued"
    result = runner.invoke(
        app, ["cycle", "status", "TT-2026", "--json", "--now", "2026-12-20T00:00:00+07:00"]
    )
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["units"] == 24 and status["states"]["plan_issued"] == 24
    assert status["mails"] == {"sent": 0, "pending": 14, "failed": 0, "sending": 0}
    # C3 keeps no addresses: reported, with where its mail goes instead.
    assert status["missing_addresses"] == [
        {
            "organization": "C3",
            "name": "Chi bộ thôn 3",
            "missing": "email, secretary_email",
            "mail_goes_to": "g2@example.vn, bt.g2@example.vn",
        }
    ]
    assert set(status["overdue"]) >= {"self_review", "peer_review", "vote", "approval"}


def test_diagram_prints_both_machines() -> None:
    result = runner.invoke(app, ["diagram"])
    assert result.exit_code == 0 and result.output.count("stateDiagram-v2") == 2


def test_launch_and_tick_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_api: None, smtp_server: object
) -> None:
    from kiemdiem.demo.smtp_server import LocalSMTPServer

    assert isinstance(smtp_server, LocalSMTPServer)
    monkeypatch.setenv("KIEMDIEM_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))
    assert runner.invoke(app, ["org", "import", *map(str, write_district(tmp_path))]).exit_code == 0
    launched = runner.invoke(
        app, ["cycle", "launch", str(write_plan(tmp_path)), "--now", "2026-11-10T08:00:00+07:00"]
    )
    assert launched.exit_code == 0, launched.output
    assert "cycle TT-2026 launched" in launched.output and len(smtp_server.messages) == 14
    again = runner.invoke(
        app, ["--now", "2026-11-10T09:00:00+07:00", "cycle", "launch", str(write_plan(tmp_path))]
    )
    assert "already launched with this plan" in again.output and len(smtp_server.messages) == 14
    ticked = runner.invoke(app, ["--now", "2026-11-19T08:00:00+07:00", "cycle", "tick", "TT-2026"])
    assert ticked.exit_code == 0, ticked.output
    assert "digests 5" in ticked.output and len(smtp_server.messages) == 19
    unknown = runner.invoke(app, ["cycle", "tick", "NOPE"])
    assert unknown.exit_code == 1 and "no cycle 'NOPE'" in str(unknown.exception)
