"""Addresses are found again at send time: a corrected import reaches mail not yet sent."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from kiemdiem.demo.smtp_server import LocalSMTPServer
from models import MailStatus, load_settings, session_scope
from models.cycle import UnitKind
from models.org_import import import_organizations
from notifications import deliver
from notifications.smtp import NO_ADDRESS
from states.cycles import get_cycle, plan_of
from states.directory import Directory
from states.recipients import (
    Recipient,
    StepRecipients,
    UnitRef,
    readdress,
    resolve,
    team_contacts,
    team_for,
    who_acts,
)
from tests.factories import MEMBERS, ORGS, write_district
from tests.states.helpers import CYCLE, launch_cycle, local, outbox

LAUNCH = local("2026-11-10 08:00")
# One team with its own address, one reached through its lead, one following a cell.
TEAMS = [
    {
        "code": "TCD-1",
        "name": "Tổ chỉ đạo số 1",
        "email": "tcd1@example.vn",
        "organizations": ["G1"],
    },
    {"code": "TCD-2", "name": "Tổ chỉ đạo số 2", "lead": "B4", "organizations": ["G2"]},
    {
        "code": "TCD-3",
        "name": "Tổ chỉ đạo số 3",
        "email": "tcd3@example.vn",
        "organizations": ["C2"],
    },
]


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


def test_a_ticks_recipients_found_once_are_whom_resolve_finds_each_time(
    district: Engine, tmp_path: Path
) -> None:
    """`StepRecipients` (the tick's: each answer once per role, stage, kind and organization,
    an address once per organization from its parent's) against `who_acts` + `resolve` and
    `team_for` asked afresh, for every role, stage, kind and organization of a district with
    addresses missing at several levels, and the member's own address where a step tells it."""
    orgs = [dict(o) for o in ORGS]
    for o in orgs:
        if o["code"] in ("C1", "G2"):
            o["email"] = ""  # their mail falls back up the tree
        if o["code"] == "G1":
            o["secretary_email"] = ""
    _reimport(district, tmp_path, orgs, [dict(m) for m in MEMBERS])
    launch_cycle(district, tmp_path, LAUNCH, directing_teams=TEAMS)
    with session_scope(district) as session:
        cycle = get_cycle(session, CYCLE)
        directory = Directory.load(session)
        teams = team_contacts(session, plan_of(cycle))
        found = StepRecipients(directory, cycle, teams)
        stages = ["self_review", "re_review", "peer_review", "vote", "approval", "remediation"]
        for org_id in directory.orgs:  # an address found from the parent's: as walked
            for attribute in ("email", "secretary_email"):
                walked = next(
                    (
                        (getattr(n, attribute), n)
                        for n in directory.lineage(org_id)
                        if getattr(n, attribute)
                    ),
                    None,
                )
                assert directory.address(org_id, attribute) == walked
        asked = 0
        for org_id in directory.orgs:
            team = team_for(org_id, directory, teams)
            assert found.team(org_id) == team
            for role, stage, kind in product(
                ("unit", "secretary", "higher", "standing"), stages, UnitKind
            ):
                member = UnitRef(kind, org_id, "m@example.vn", "M", 7)
                acting_role, acting = who_acts(role, stage, member, directory, cycle)
                expected = resolve(
                    acting_role, acting, directory, standing_org_id=cycle.launched_by_id
                )
                if found.direct(role, stage, kind):
                    assert expected == Recipient(
                        "m@example.vn", "M", f"unit|{kind.value}|{org_id}|7"
                    )
                    continue
                answer = found.find(role, stage, kind, org_id)
                if expected is None:
                    assert answer is None
                    continue
                assert answer is not None
                email, name, ref, member_in_ref = answer
                assert (email, name, ref + ("7" if member_in_ref else "")) == expected
                asked += 1
    assert asked > 100
    assert any(found.team(o) is None for o in directory.orgs)
    assert any(found.team(o) is not None for o in directory.orgs)
