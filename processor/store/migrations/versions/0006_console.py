"""the ops console: watcher poll time and hosts per site, replay jobs, lookup indexes

`sites.last_polled_at`/`last_poll_error`/`hosts` hold what the calendar watcher saw at its last
whole-site look; `replay_jobs` the console's bulk replays (progress and cancel shared by every web
process); `ix_events_entity_id` serves the console's search and related events, `ix_ledger_event_id`
an event's "what it did".

Revision ID: 0006
Revises: 0002
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_poll_error", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("hosts", sa.JSON(), nullable=True))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_entity_id"), ["entity_id"], unique=False)
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_event_id"), ["event_id"], unique=False)
    op.create_table(
        "replay_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("replayed", sa.Integer(), nullable=False),
        sa.Column("force", sa.Boolean(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("replay_jobs")
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_event_id"))
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_entity_id"))
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("hosts")
        batch_op.drop_column("last_poll_error")
        batch_op.drop_column("last_polled_at")
