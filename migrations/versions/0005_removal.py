"""Removal tracking: failed checks per article, and status transitions with reasons.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import archive.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(sa.Column("missing_since", archive.models.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("missing_checks", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "article_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("at", archive.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('gone', 'back')", name=op.f("ck_article_event_kind")),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], name=op.f("fk_article_event_article_id_article")),
        sa.ForeignKeyConstraint(["crawl_run_id"], ["crawl_run.id"], name=op.f("fk_article_event_crawl_run_id_crawl_run")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_event")),
    )
    op.create_index(op.f("ix_article_event_article_id"), "article_event", ["article_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_article_event_article_id"), table_name="article_event")
    op.drop_table("article_event")
    with op.batch_alter_table("article") as batch:
        batch.drop_column("missing_checks")
        batch.drop_column("missing_since")
