"""members and organizations indexed by lower(email), so delivery finds who an address
belongs to without reading every member

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 18:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Expression indexes need no table rebuild, so no batch mode (SQLite takes them as is).
    op.create_index("ix_member_email_lower", "member", [sa.text("lower(email)")])
    op.create_index("ix_organization_email_lower", "organization", [sa.text("lower(email)")])
    op.create_index(
        "ix_organization_secretary_email_lower",
        "organization",
        [sa.text("lower(secretary_email)")],
    )


def downgrade() -> None:
    op.drop_index("ix_organization_secretary_email_lower", table_name="organization")
    op.drop_index("ix_organization_email_lower", table_name="organization")
    op.drop_index("ix_member_email_lower", table_name="member")
