"""Web-archive captures: the archive's side of a replayed capture, apart from the portal's headers.

A capture replayed by a web archive arrives with two sets of headers: the portal's
own (the Internet Archive prefixes them ``X-Archive-Orig-``) and the archive's
(``Memento-Datetime``, ``X-Archive-Src``, ``Link``, its own ``Server`` …).
``snapshot.headers`` keeps the portal's, so a WARC export replays what the portal
sent; ``snapshot.replay`` keeps the archive's, and the capture URL the listing
named when the archive answered it with another capture (docs/web-archives.md).
Live snapshots leave it NULL.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshot") as batch:
        batch.add_column(sa.Column("replay", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshot") as batch:
        batch.drop_column("replay")
