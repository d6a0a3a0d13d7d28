"""Incremental crawling: each article's next check time and HTTP validators.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import archive.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(sa.Column("next_check_at", archive.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("etag", sa.String(300), nullable=True))
        batch.add_column(sa.Column("last_modified", sa.String(100), nullable=True))
        batch.create_index("ix_article_next_check_at", ["next_check_at"])


def downgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.drop_index("ix_article_next_check_at")
        batch.drop_column("last_modified")
        batch.drop_column("etag")
        batch.drop_column("next_check_at")
