"""`kiemdiem cycle status` answers in under a second on a district: a database at head is
checked without Alembic, and only what the status reads is loaded (its time is measured
in README "Speed"; here, what must not be loaded, which is what the time depends on)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from models import get_engine, init_db, load_settings, session_scope
from models.org_import import import_organizations
from states import launch, load_plan
from tests.factories import write_district, write_plan
from tests.states.helpers import local

# Loaded by other commands, never by a status: Alembic (only to upgrade), Prefect, mail
# rendering and sending, the workbook, the pages, the stages' actions, PostgreSQL's dialect.
NOT_FOR_A_STATUS = (
    "alembic",
    "prefect",
    "jinja2",
    "aiosmtplib",
    "openpyxl",
    "fastapi",
    "states.actions",
    "states.approval",
    "states.voting",
    "states.remediation._people",
    "notifications.render",
    "sqlalchemy.dialects.postgresql",
)

CODE = """
import json, sys
sys.argv = ['kiemdiem', 'cycle', 'status', 'TT-2026', '--json']
from kiemdiem.cli import main
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
loaded = sorted(m for m in sys.modules if m in NAMES or m.split('.')[0] in NAMES)
print(json.dumps(loaded), file=sys.stderr)
"""


def test_a_status_on_a_current_database_loads_only_what_it_reads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    engine = get_engine(url)
    init_db(engine)
    orgs_csv, members_csv = write_district(tmp_path)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
        launch(
            session=session,
            plan=load_plan(write_plan(tmp_path)),
            now=local("2026-11-10 08:00"),
            settings=load_settings(),
        )
    ran = subprocess.run(
        [sys.executable, "-c", f"NAMES = {NOT_FOR_A_STATUS!r}\n{CODE}"],
        capture_output=True,
        text=True,
        env={**os.environ, "KIEMDIEM_DATABASE_URL": url},
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    status = json.loads(ran.stdout)
    assert status["cycle"] == "TT-2026" and sum(status["states"].values()) > 0
    assert json.loads(ran.stderr.strip().splitlines()[-1]) == []


def test_the_guards_of_every_stage_are_found_without_importing_the_stages() -> None:
    """The registry loads the modules that register guards on first lookup: a caller that
    imported only `states.guards` still finds every guard the machines name."""
    code = (
        "from states.guards import PERSON_GUARDS\n"
        "from states.machine import MACHINES\n"
        "named = {c for m in MACHINES for mv in m.moves if mv.by == 'person'"
        " for c in mv.conditions}\n"
        "missing = sorted(named - set(PERSON_GUARDS))\n"
        "print(missing)"
    )
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "[]"
