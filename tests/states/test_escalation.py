"""The ladder: each step once per unit, stage and step; one mail per recipient per tick."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import Escalation, Level, session_scope
from states import submit_self_review
from tests.factories import OVERDUE_ON_22_NOV, REMINDED_ON_19_NOV
from tests.states.helpers import act, launch_cycle, local, outbox, review_form, tick

LAUNCH = local("2026-11-10 08:00")
PILOT_MEMBERS = {"M:A1", "M:A2", "M:A3", "L:A1", "L:A2"}
PILOT_COLLECTIVES = {"O:G1", "T:G1", "O:C1"}


@pytest.fixture
def cycle(district: Engine, tmp_path: Path) -> Engine:
    launch_cycle(district, tmp_path, LAUNCH)
    tick(district, LAUNCH)  # every unit now in self-review
    return district


def _recipients(engine: Engine, kind: str) -> dict[str, str]:
    """Recipient -> body text of the mails of one kind."""
    return {m.recipient: m.body_text for m in outbox(engine, kind)}


def test_nothing_is_said_before_the_first_step(cycle: Engine) -> None:
    _, result = tick(cycle, local("2026-11-18 23:59"))  # the pilots' reminder is at 19 Nov 00:00
    assert (result.steps, result.digests) == (0, 0)


def test_reminders_go_to_each_unit_once_in_one_mail_per_address(cycle: Engine) -> None:
    _, result = tick(cycle, local("2026-11-19 08:00"))
    assert result.steps == len(PILOT_MEMBERS | PILOT_COLLECTIVES)
    mails = _recipients(cycle, "reminder")
    # A1 is reviewed as a member and as a leader: one mail lists both units.
    assert set(mails) == REMINDED_ON_19_NOV
    assert "M:A1" in mails["a1@example.vn"] and "L:A1" in mails["a1@example.vn"]
    assert "O:G1" in mails["g1@example.vn"] and "T:G1" in mails["g1@example.vn"]
    _, again = tick(cycle, local("2026-11-19 08:00"))
    assert (again.steps, again.digests) == (0, 0)
    _, later = tick(cycle, local("2026-11-20 12:00"))
    assert (later.steps, later.digests) == (0, 0)


def test_a_reminder_is_dropped_once_its_due_time_has_passed(cycle: Engine) -> None:
    _, result = tick(cycle, local("2026-11-22 08:00"))  # first tick after the pilots' due day + 1
    assert outbox(cycle, "reminder") == []
    with Session(cycle) as session:
        steps = {e.step for e in session.exec(select(Escalation))}
    assert steps == {1}


def test_overdue_notices_go_to_the_unit_and_its_secretary(cycle: Engine) -> None:
    act(
        cycle,
        submit_self_review,
        unit_code="M:A3",
        actor_code="A3",
        now=LAUNCH,
        **review_form(Level.GOOD),
    )
    tick(cycle, local("2026-11-22 08:00"))
    mails = _recipients(cycle, "overdue")
    assert set(mails) == OVERDUE_ON_22_NOV
    # A3 submitted in time, so A3 is told nothing; its peer review is due 23 Nov, and the
    # reminder for it goes to the cell's secretary, who must hold it, in the same mail.
    assert "a3@example.vn" not in mails and "M:A3" in mails["bt.c1@example.vn"]
    assert all(code in mails["bt.c1@example.vn"] for code in ("M:A1", "M:A2", "O:C1", "L:A1"))
    assert "L:A2" in mails["bt.g1@example.vn"] and "T:G1" in mails["bt.g1@example.vn"]


def test_several_steps_due_at_once_are_all_queued_one_digest_each(cycle: Engine) -> None:
    _, result = tick(cycle, local("2026-11-28 08:00"))  # 1d, 3d and 7d after the pilots' due day
    units = len(PILOT_MEMBERS | PILOT_COLLECTIVES)
    assert result.steps == 3 * units
    recipients = [m.recipient for m in outbox(cycle) if m.kind != "plan_issued"]
    assert len(recipients) == len(set(recipients))  # one mail per recipient this tick
    digests = _recipients(cycle, "digest")
    # higher: C1's units go to G1; G1's units to the district; standing: the district.
    assert "M:A3" in digests["g1@example.vn"] and "O:C1" in digests["g1@example.vn"]
    assert all(code in digests["d@example.vn"] for code in ("O:G1", "T:G1", "L:A2", "M:A3"))


def test_missing_addresses_fall_back_up_the_tree(cycle: Engine) -> None:
    tick(cycle, local("2026-12-03 08:00"))  # the regular units' 1d step
    mails = _recipients(cycle, "overdue")
    # C3 keeps no addresses: its collective's mail goes to G2, its secretary's to G2's.
    assert "O:C3" in mails["g2@example.vn"]
    assert "M:E2" in mails["bt.g2@example.vn"]
    assert "M:E2" in mails["e2@example.vn"]


def test_escalations_are_keyed_once_per_unit_stage_and_step(cycle: Engine) -> None:
    for day in ("2026-11-19", "2026-11-22", "2026-11-24", "2026-11-28", "2026-11-28"):
        tick(cycle, local(f"{day} 08:00"))
    with Session(cycle) as session:
        keys = [(e.unit_id, e.stage, e.step) for e in session.exec(select(Escalation))]
    assert len(keys) == len(set(keys)) == 4 * len(PILOT_MEMBERS | PILOT_COLLECTIVES)
    keys_of_mail = [m.key for m in outbox(cycle)]
    assert len(keys_of_mail) == len(set(keys_of_mail))


def test_two_ticks_at_once_record_each_step_once(postgres_url: str, tmp_path: Path) -> None:
    """On PostgreSQL two ticks of the same cycle may really run at the same moment."""
    from models import get_engine, init_db
    from models.org_import import import_organizations
    from tests.factories import write_district

    engine = get_engine(postgres_url)
    init_db(engine)
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=write_district(tmp_path)[0],
            members_csv=write_district(tmp_path)[1],
        )
    launch_cycle(engine, tmp_path, LAUNCH)
    tick(engine, LAUNCH)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            tick(engine, local("2026-11-28 08:00"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Session(engine) as session:
        assert len(session.exec(select(Escalation)).all()) == 3 * len(
            PILOT_MEMBERS | PILOT_COLLECTIVES
        )
    per_recipient = [m.recipient for m in outbox(engine) if m.kind != "plan_issued"]
    assert len(per_recipient) == len(set(per_recipient))


TEAMS = [
    {
        "code": "TCD-1",
        "name": "Tổ chỉ đạo số 1",
        "email": "tcd1@example.vn",
        "organizations": ["G1"],
    },
    {"code": "TCD-2", "name": "Tổ chỉ đạo số 2", "lead": "B4", "organizations": ["G2"]},
]


def test_escalations_to_the_committee_above_copy_the_directing_team(
    district: Engine, tmp_path: Path
) -> None:
    launch_cycle(district, tmp_path, LAUNCH, directing_teams=TEAMS)
    tick(district, LAUNCH)
    tick(district, local("2026-11-22 08:00"))  # the 1d step tells no committee: no team either
    assert "tcd1@example.vn" not in {m.recipient for m in outbox(district)}
    tick(district, local("2026-11-24 08:00"))  # the pilots' 3d step: higher, so the team too
    mails = {m.recipient: m for m in outbox(district, "digest")}
    team = mails["tcd1@example.vn"]
    assert team.recipient_name == "Tổ chỉ đạo số 1"
    assert all(code in team.body_text for code in PILOT_MEMBERS | PILOT_COLLECTIVES)
    tick(district, local("2026-12-05 08:00"))  # the regular units' 3d step
    # TCD-2 has no address of its own: its lead, B4, is written to.
    assert "M:E2" in {m.recipient: m for m in outbox(district, "digest")}["b4@example.vn"].body_text


def test_a_plan_naming_unknown_teams_members_is_refused(
    english: None, district: Engine, tmp_path: Path
) -> None:
    from models import PlanInvalid

    teams = [{**TEAMS[1], "lead": "NOBODY", "organizations": ["G2", "GX"]}]
    with pytest.raises(PlanInvalid) as invalid:
        launch_cycle(district, tmp_path, LAUNCH, directing_teams=teams)
    assert invalid.value.problems == [
        "plan: directing_teams[0].organizations[1]: 'GX' is not an imported organization",
        "plan: directing_teams[0].lead: 'NOBODY' is not an imported member",
    ]


@pytest.mark.parametrize(
    ("stage", "code", "acts", "waits"),
    [
        # A member's vote: the cell's secretary closes it; the member only waits.
        ("vote", "M:A3", "bt.c1@example.vn", "a3@example.vn"),
        # A cell's vote is held by the committee above it: G1's secretary, not the cell.
        ("vote", "O:C1", "bt.g1@example.vn", "c1@example.vn"),
        # Approval: the approving committee (G1 for C1's members) decides.
        ("approval", "M:A3", "g1@example.vn", "a3@example.vn"),
        ("peer_review", "M:A3", "bt.c1@example.vn", "a3@example.vn"),
    ],
)
def test_reminders_and_notices_go_to_whoever_must_act_at_that_stage(
    cycle: Engine, stage: str, code: str, acts: str, waits: str
) -> None:
    from tests.states.helpers import place

    place(cycle, code, stage, proposed_level=Level.GOOD, score=80)
    # The pilots' vote is due 25 Nov, approval 28 Nov, peer review 23 Nov.
    due = {"vote": "2026-11-25", "approval": "2026-11-28", "peer_review": "2026-11-23"}[stage]
    day = int(due[-2:])
    tick(cycle, local(f"2026-11-{day - 1:02d} 08:00"))  # the -2d reminder
    reminded = _told(cycle)
    assert code in reminded.get(acts, ""), reminded.keys()
    assert code not in reminded.get(waits, "")
    tick(cycle, local(f"2026-11-{day + 2:02d} 08:00"))  # the 1d notice to unit and secretary
    told = _told(cycle)
    assert code in told.get(acts, "")
    assert code not in told.get(waits, "")


def _told(engine: Engine) -> dict[str, str]:
    """Recipient -> every ladder mail's text they got (any kind but the plan's)."""
    told: dict[str, str] = {}
    for m in outbox(engine):
        if m.kind != "plan_issued":
            told[m.recipient] = told.get(m.recipient, "") + m.body_text
    return told
