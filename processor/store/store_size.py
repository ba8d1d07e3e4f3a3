"""How big the store is, read cheaply for /metrics: rows per table and the oldest kept event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from processor.retention_metrics import StoreSize
from processor.store.db import Sessions, utcnow
from processor.store.models import Base, Event


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table of the store. PostgreSQL: the planner's estimate (pg_class.reltuples, kept fresh
    by autovacuum), since count(*) reads the whole table; a table never analysed yet is counted.
    SQLite: count(*), which is cheap at the sizes SQLite serves."""
    tables = sorted(Base.metadata.tables)
    if session.get_bind().dialect.name != "postgresql":
        return {
            name: int(
                session.execute(select(func.count()).select_from(Base.metadata.tables[name])).scalar_one()
            )
            for name in tables
        }
    estimates: dict[str, float] = dict(
        session.execute(
            text(
                "SELECT c.relname, c.reltuples FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname = ANY(:names)"
            ),
            {"names": tables},
        ).all()
    )
    counts: dict[str, int] = {}
    for name in tables:
        estimate = estimates.get(name)
        if estimate is None or estimate < 0:  # never analysed: small or new, count it
            table = Base.metadata.tables[name]
            counts[name] = int(session.execute(select(func.count()).select_from(table)).scalar_one())
        else:
            counts[name] = int(estimate)
    return counts


def oldest_event_received_at(session: Session) -> datetime | None:
    """When the oldest event still kept arrived (one step down ix_events_received_at)."""
    return session.execute(select(func.min(Event.received_at))).scalar_one_or_none()


def read_store_size(sessions: Sessions) -> StoreSize:
    """What /metrics shows of the store's size, in one short read."""
    with sessions() as session:
        return StoreSize(row_counts(session), oldest_event_received_at(session), utcnow())
