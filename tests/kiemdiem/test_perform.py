"""The demo's people act a few hundred actions to a transaction, each in a savepoint: each action
still writes what it would have written in a transaction of its own, and a refused one nothing."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from kiemdiem.demo.simulate import People, perform
from models import (
    ActionRefused,
    AuditEntry,
    OutboxMessage,
    get_engine,
    init_db,
    load_settings,
    session_scope,
)
from models.org_import import import_organizations
from states import submit_self_review
from states.suggestions import suggest
from tests.factories import write_district
from tests.states.helpers import CYCLE, launch_cycle, local, review_form, snapshot, tick

LAUNCH = local("2026-11-10 08:00")
LATER = local("2026-11-12 14:00")


def _calls() -> list[tuple[str, int, Any]]:
    """A day: a suggestion (mail), two self-reviews (audit, opinion requests) and between them
    one refused (M:A3 is already submitted)."""
    submit = partial(submit_self_review, now=LATER, cycle_code=CYCLE, **review_form())
    return [
        (
            "suggest",
            1,
            partial(
                suggest,
                now=LATER,
                cycle_code=CYCLE,
                unit_codes=["M:B3"],
                actor_code="E2",
                text="Đề nghị làm rõ việc chấp hành quy định.",
                settings=load_settings(),
            ),
        ),
        ("submit", 1, partial(submit, unit_code="M:A3", actor_code="A3")),
        ("submit", 1, partial(submit, unit_code="M:A3", actor_code="A3")),
        ("submit", 1, partial(submit, unit_code="M:B4", actor_code="B4")),
    ]


def _written(engine: Engine) -> tuple[Any, ...]:
    with Session(engine) as session:
        audit = session.exec(
            select(AuditEntry.actor, AuditEntry.trigger, AuditEntry.from_state, AuditEntry.to_state)
        ).all()
        mail = session.exec(
            select(OutboxMessage.kind, OutboxMessage.recipient, OutboxMessage.subject).order_by(
                col(OutboxMessage.id)
            )
        ).all()
    return snapshot(engine), sorted(audit), sorted(mail)


def _one_transaction_each(engine: Engine) -> None:
    for _, _, action in _calls():
        try:
            with session_scope(engine) as session:
                action(session=session)
        except ActionRefused:
            pass


def test_actions_sharing_a_transaction_write_what_one_per_action_writes(
    district: Engine, tmp_path: Path
) -> None:
    launch_cycle(district, tmp_path, LAUNCH, inspection_commission=["E2"])
    tick(district, LAUNCH)
    before = _written(district)
    people = People(seed=1)
    perform(district, _calls(), people)
    assert dict(people.actions) == {"suggest": 1, "submit": 2}
    assert dict(people.refused) == {"submit": 1}

    reference = get_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    init_db(reference)
    (tmp_path / "reference").mkdir()
    orgs_csv, members_csv = write_district(tmp_path / "reference")
    with session_scope(reference) as session:
        import_organizations(session=session, organizations_csv=orgs_csv, members_csv=members_csv)
    launch_cycle(reference, tmp_path / "reference", LAUNCH, inspection_commission=["E2"])
    tick(reference, LAUNCH)
    _one_transaction_each(reference)

    batched, expected = _written(district), _written(reference)
    assert batched == expected
    assert batched != before
    submitted = [row for row in batched[1] if row[1] == "submit_self_review"]
    assert sorted(actor for actor, *_ in submitted) == ["A3", "B4"]  # the refused one: no row
    assert any(kind == "suggestion" for kind, *_ in batched[2]), batched[2]
