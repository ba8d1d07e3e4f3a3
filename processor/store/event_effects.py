"""What an event did: the ledger entries it took (refunds, emails, link changes, ops alerts)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from processor.store.models import LedgerEntry

MAX_ENTRIES = 200


def ledger_entries_for_event(session: Session, event_id: int) -> list[LedgerEntry]:
    """The ledger keys this event took, in the order it took them (ix_ledger_event_id)."""
    return list(
        session.execute(
            select(LedgerEntry)
            .where(LedgerEntry.event_id == event_id)
            .order_by(LedgerEntry.created_at, LedgerEntry.key)
            .limit(MAX_ENTRIES)
        ).scalars()
    )
