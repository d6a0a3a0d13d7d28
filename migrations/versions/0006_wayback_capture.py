"""Web-archive captures: the capture URL a snapshot was replayed from.

A snapshot backfilled from a Wayback-compatible archive keeps the archive's
capture URL (``<replay>/<timestamp>id_/<original>``) so a second backfill can
skip captures it already stored, and a WARC export can cite where the bytes
came from. Live snapshots leave it NULL.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshot") as batch:
        batch.add_column(sa.Column("capture_url", sa.Text(), nullable=True))
        batch.create_index(op.f("ix_snapshot_capture_url"), ["capture_url"])


def downgrade() -> None:
    with op.batch_alter_table("snapshot") as batch:
        batch.drop_index(op.f("ix_snapshot_capture_url"))
        batch.drop_column("capture_url")
