"""remember the revision a paused link was left at

Recovery compares it with the link's current revision: a link someone edited on Wix while it was
paused is left as it is (processor/links.py, workers/flows/scheduling_links.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deactivated_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deactivated_links", schema=None) as batch_op:
        batch_op.drop_column("revision")
