"""An index on version.snapshot_id.

A snapshot is looked up from its version (export-warc, the reader's stored page) and, with
foreign keys on, every snapshot deleted or inserted with RETURNING makes SQLite look for the
versions that point at it: without the index that was a scan of the whole version table per
new article (bench measure 4 found it after the store learned to insert in fewer statements).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_version_snapshot_id", "version", ["snapshot_id"])


def downgrade() -> None:
    op.drop_index("ix_version_snapshot_id", table_name="version")
