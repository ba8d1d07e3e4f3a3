"""notifications: the outbox of emails and ops alerts, delivered apart from the flows that record them

The ledger's `email:` and `ops:` keys move here as `sent` rows (keys of one booking's invitation,
cancellation and refund emails lose their revision: they are once per booking now), so a replay of
an event processed before this migration sends nothing twice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Email kinds that are once per booking now: old kind → the last part of the new key.
_ONCE_PER_BOOKING = {
    "booking_created": "invitation",
    "booking_canceled": "booking_canceled",
    "refund_issued_customer": "refund_issued_customer",
    "refund_issued_host": "refund_issued_host",
    "refund_skipped": "refund_skipped",
}
# The alert kind of each old `ops:<name>:<event id>` key (the key itself stays).
_OPS_KINDS = {
    "link_deactivated": "link.deactivated",
    "link_reactivated": "link.reactivated",
    "link_left_off": "link.left_off",
}


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("recipient_role", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("booking_id", sa.String(length=200), nullable=True),
        sa.Column("message", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            "ix_notifications_status_next_attempt", ["status", "next_attempt_at"], unique=False
        )
    _move_ledger_keys()


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_status_next_attempt")
        batch_op.drop_index(batch_op.f("ix_notifications_event_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_booking_id"))
    op.drop_table("notifications")


def moved_key(old: str) -> tuple[str, str, str, str, str | None] | None:
    """(new key, channel, kind, recipient role, booking id) of an old ledger key, None if not a notice."""
    parts = old.split(":")
    if len(parts) < 3 or parts[0] not in ("email", "ops"):
        return None
    if parts[0] == "ops":
        kind = _OPS_KINDS.get(parts[1], parts[1])
        return old, "ops", kind, "ops", None
    subject, kind = parts[1], parts[2]
    if kind in _ONCE_PER_BOOKING:
        role = "customer" if kind == "refund_issued_customer" else "host"
        return f"email:{subject}:{_ONCE_PER_BOOKING[kind]}", "email", kind, role, subject
    if kind == "booking_rescheduled":
        return old, "email", kind, "host", subject
    return old, "email", kind, "host", None  # link emails: keyed by service id and event


def _move_ledger_keys() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT l.key, l.event_id, l.created_at, l.finished_at FROM ledger l "
            "JOIN events e ON e.id = l.event_id "
            "WHERE l.state = 'done' AND (l.key LIKE 'email:%' OR l.key LIKE 'ops:%')"
        )
    ).all()
    insert = sa.text(
        "INSERT INTO notifications (event_id, key, channel, kind, recipient_role, status, attempts, "
        "created_at, updated_at, sent_at, booking_id) VALUES (:event_id, :key, :channel, :kind, :role, "
        "'sent', 1, :created_at, :sent_at, :sent_at, :booking_id) ON CONFLICT (key) DO NOTHING"
    )
    moved: list[str] = []
    for old_key, event_id, created_at, finished_at in rows:
        target = moved_key(old_key)
        if target is None:
            continue
        key, channel, kind, role, booking_id = target
        bind.execute(
            insert,
            {
                "event_id": event_id,
                "key": key,
                "channel": channel,
                "kind": kind,
                "role": role,
                "created_at": created_at,
                "sent_at": finished_at or created_at,
                "booking_id": booking_id,
            },
        )
        moved.append(old_key)
    for old_key in moved:
        bind.execute(sa.text("DELETE FROM ledger WHERE key = :key"), {"key": old_key})
