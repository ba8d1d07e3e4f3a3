"""processing indexes: the flows' per-entity queries, and event counts kept as statuses change

`ix_events_entity_type_status` (entity_id, event_type, status, entity_sequence) answers the flows'
own questions from the index alone: `newest_sequence_seen` (the highest sequence of this booking's
processed events) and `handled_before` (did an event of this type for this booking succeed); its
prefix serves every per-entity lookup (related events, the console's search), so the single-column
`ix_events_entity_id` it replaces goes.

`event_counts` holds how many events of each type are in each final status (succeeded, ignored,
skipped, dead), kept by triggers on the events table as rows enter or leave those statuses, so
/metrics reads a few rows instead of a GROUP BY over every event ever received. The live statuses
(received, queued, processing, failed) are counted from the status index at scrape time: they are
the backlog, small unless something is wrong. A webhook's insert (`received`) touches no counter:
the insert trigger's condition is false for it, so ingest pays only that test.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FINAL = "('succeeded', 'ignored', 'skipped', 'dead')"  # FINISHED_STATUSES and dead (models.py)

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION event_counts_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status IN {FINAL} THEN
        UPDATE event_counts SET count = count - 1
        WHERE event_type = OLD.event_type AND status = OLD.status;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status IN {FINAL} THEN
        INSERT INTO event_counts (event_type, status, count) VALUES (NEW.event_type, NEW.status, 1)
        ON CONFLICT (event_type, status) DO UPDATE SET count = event_counts.count + 1;
    END IF;
    RETURN NULL;
END
$$
"""  # noqa: S608 (this module's constants only)
_CHANGED = (
    "(OLD.status IS DISTINCT FROM NEW.status OR OLD.event_type IS DISTINCT FROM NEW.event_type)"
    f" AND (OLD.status IN {FINAL} OR NEW.status IN {FINAL})"
)
_PG_TRIGGERS = (
    "CREATE TRIGGER events_count_insert AFTER INSERT ON events FOR EACH ROW"
    f" WHEN (NEW.status IN {FINAL}) EXECUTE FUNCTION event_counts_follow()",
    "CREATE TRIGGER events_count_update AFTER UPDATE OF status, event_type ON events FOR EACH ROW"
    f" WHEN ({_CHANGED}) EXECUTE FUNCTION event_counts_follow()",
    "CREATE TRIGGER events_count_delete AFTER DELETE ON events FOR EACH ROW"
    f" WHEN (OLD.status IN {FINAL}) EXECUTE FUNCTION event_counts_follow()",
)
_SQLITE_ADD = """
    INSERT INTO event_counts (event_type, status, count) VALUES (NEW.event_type, NEW.status, 1)
    ON CONFLICT (event_type, status) DO UPDATE SET count = count + 1;"""
_SQLITE_REMOVE = """
    UPDATE event_counts SET count = count - 1 WHERE event_type = OLD.event_type AND status = OLD.status;"""
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER events_count_insert AFTER INSERT ON events WHEN NEW.status IN {FINAL}"
    f" BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER events_count_update_from AFTER UPDATE OF status, event_type ON events"
    f" WHEN (OLD.status <> NEW.status OR OLD.event_type <> NEW.event_type) AND OLD.status IN {FINAL}"
    f" BEGIN {_SQLITE_REMOVE} END",
    f"CREATE TRIGGER events_count_update_to AFTER UPDATE OF status, event_type ON events"
    f" WHEN (OLD.status <> NEW.status OR OLD.event_type <> NEW.event_type) AND NEW.status IN {FINAL}"
    f" BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER events_count_delete AFTER DELETE ON events WHEN OLD.status IN {FINAL}"
    f" BEGIN {_SQLITE_REMOVE} END",
)
_BACKFILL = f"""
INSERT INTO event_counts (event_type, status, count)
SELECT event_type, status, count(*) FROM events WHERE status IN {FINAL} GROUP BY event_type, status
"""  # noqa: S608 (this module's constants only)
_TRIGGER_NAMES = (
    "events_count_insert",
    "events_count_update",
    "events_count_update_from",
    "events_count_update_to",
    "events_count_delete",
)


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_entity_id")
        batch_op.create_index(
            "ix_events_entity_type_status",
            ["entity_id", "event_type", "status", "entity_sequence"],
            unique=False,
        )
    op.create_table(
        "event_counts",
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("event_type", "status"),
    )
    op.execute(_BACKFILL)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name in _TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON events" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS event_counts_follow()")
    op.drop_table("event_counts")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_entity_type_status")
        batch_op.create_index(batch_op.f("ix_events_entity_id"), ["entity_id"], unique=False)
