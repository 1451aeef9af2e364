"""Addresses are found again at send time: a corrected import reaches mail not yet sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import MailStatus, load_settings, session_scope
from models.org_import import import_organizations
from notifications import deliver
from notifications.smtp import NO_ADDRESS
from states.recipients import readdress
from tests.factories import MEMBERS, ORGS, write_district
from tests.states.helpers import launch_cycle, local, outbox

LAUNCH = local("2026-11-10 08:00")


def _reimport(
    engine: Engine, tmp_path: Path, orgs: list[dict[str, str]], members: list[dict[str, str]]
) -> None:
    orgs_csv, members_csv = write_district(tmp_path, orgs, members)
    with session_scope(engine) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)


def test_mail_queued_before_a_correction_goes_to_the_corrected_address(
    district: Engine,
    tmp_path: Path,
    smtp_server: LocalSMTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    launch_cycle(district, tmp_path, LAUNCH)  # queued, not yet sent
    orgs = [dict(o) for o in ORGS]
    orgs[4]["email"] = "c1.moi@example.vn"  # C1
    for o in orgs:
        if o["code"] in ("G2", "D", "P"):
            o["email"] = ""  # C3's mail fell back to G2; now nothing up the tree has an address
    members = [dict(m) for m in MEMBERS]
    members[2]["email"] = "a3.moi@example.vn"  # A3
    _reimport(district, tmp_path, orgs, members)
    monkeypatch.setenv("KIEMDIEM_SMTP_PORT", str(smtp_server.port))
    report = deliver(district, load_settings(), now=LAUNCH, readdress=readdress)
    received = {r for m in smtp_server.messages for r in m.recipients}
    assert {"c1.moi@example.vn", "a3.moi@example.vn"} <= received
    assert not {"c1@example.vn", "a3@example.vn", "g2@example.vn", "d@example.vn"} & received
    lost = [m for m in outbox(district) if m.status == MailStatus.FAILED]
    # G2's collectives (and C3's, which fell back to G2) went to g2@, the district's to d@:
    # with every address above them gone, those rows fail with the reason.
    assert {m.recipient for m in lost} == {"g2@example.vn", "d@example.vn"}
    assert all(m.last_error == NO_ADDRESS for m in lost)
    assert report.failed == len(lost) and report.sent == len(smtp_server.messages)
