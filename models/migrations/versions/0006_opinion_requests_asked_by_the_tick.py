"""opinion requests asked by the tick

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models._types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("opinion", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("asked_at", models._types.UTCDateTime(timezone=True), nullable=True)
        )
    # Opinions asked before this revision were mailed when they were requested.
    op.execute("UPDATE opinion SET asked_at = requested_at")


def downgrade() -> None:
    with op.batch_alter_table("opinion", schema=None) as batch_op:
        batch_op.drop_column("asked_at")
