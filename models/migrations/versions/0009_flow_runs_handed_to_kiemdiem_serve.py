"""flow runs handed to kiemdiem serve, and its heartbeat

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:54:04.874553
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models._types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flowrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("requested_at", models._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("claimed_at", models._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", models._types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("flow_run_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("flowrequest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flowrequest_status"), ["status"], unique=False)

    op.create_table(
        "serveheartbeat",
        sa.Column("process", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("started_at", models._types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", models._types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process"),
    )
    with op.batch_alter_table("serveheartbeat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_serveheartbeat_beat_at"), ["beat_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("serveheartbeat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_serveheartbeat_beat_at"))

    op.drop_table("serveheartbeat")
    with op.batch_alter_table("flowrequest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flowrequest_status"))

    op.drop_table("flowrequest")
