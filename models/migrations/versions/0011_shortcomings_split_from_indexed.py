"""shortcomings indexed by the one they were split from, so a tick reads only its cycle's

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 01:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shortcoming", schema=None) as batch_op:
        batch_op.create_index("ix_shortcoming_split_from_id", ["split_from_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shortcoming", schema=None) as batch_op:
        batch_op.drop_index("ix_shortcoming_split_from_id")
