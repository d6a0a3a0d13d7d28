"""crawl_lease: one row per site being crawled, so no two processes crawl a site at once.

A lease row rather than a PostgreSQL advisory lock: it works the same on SQLite, it names
its holder for the crawl it refuses, and it expires on the database's clock when a
holder on another machine (a Scrapyd node) dies without closing its connection.
Why and how: crawler/lease.py, docs/scale-out.md.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_lease",
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(300), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("acquired_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("site", name=op.f("pk_crawl_lease")),
    )


def downgrade() -> None:
    op.drop_table("crawl_lease")
