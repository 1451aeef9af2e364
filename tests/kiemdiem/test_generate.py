"""The demo's district generator: any size it accepts imports cleanly and launches."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from kiemdiem.demo.generate import generate
from models import Member, Organization, OrgLevel, load_settings, session_scope
from models.org_import import import_organizations
from states import launch, load_plan


@pytest.mark.parametrize(("members", "cells"), [(2000, 100), (40, 8), (5, 1)])
def test_a_generated_district_imports_and_launches(
    engine: Engine, tmp_path: Path, members: int, cells: int
) -> None:
    district = generate(tmp_path, seed=7, members=members)
    with session_scope(engine) as session:
        import_organizations(
            session=session,
            organizations_csv=district.organizations_csv,
            members_csv=district.members_csv,
        )
        summary = launch(
            session=session,
            plan=load_plan(district.plan_yaml),
            now=datetime(2026, 11, 23, 1, tzinfo=UTC),
            settings=load_settings(),
        )
    with Session(engine) as session:
        count = session.exec(
            select(func.count())
            .select_from(Organization)
            .where(col(Organization.level) == OrgLevel.CELL)
        ).one()
        heads = session.exec(
            select(func.count()).select_from(Member).where(col(Member.leads_id).is_not(None))
        ).one()
    assert count == cells == district.cells
    # Every cell, every grassroots organization, the district and the province have a head.
    assert heads == cells + district.grassroots + 2
    assert summary.units["member"] == members


def test_too_small_a_district_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 5 members"):
        generate(tmp_path, seed=7, members=4)
