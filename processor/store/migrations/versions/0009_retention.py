"""retention and privacy: when an event's personal data was removed, and the privacy requests done

`events.payload_redacted_at` marks a payload whose personal data the purge (PAYLOAD_RETENTION_DAYS) or
a privacy request removed; `ix_events_status_received_at` serves the purge's search by status and
age; `purged_notices` keeps the email keys of purged events (sent once per booking, so never again);
`privacy_erasures` records each privacy request carried out (ids or a hash only).

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02 05:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload_redacted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_events_status_received_at", ["status", "received_at"], unique=False)
    op.create_table(
        "purged_notices",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "privacy_erasures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("requested_by", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_ref", sa.String(length=200), nullable=False),
        sa.Column("events_redacted", sa.Integer(), nullable=False),
        sa.Column("notifications_cleared", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("privacy_erasures")
    op.drop_table("purged_notices")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_status_received_at")
        batch_op.drop_column("payload_redacted_at")
