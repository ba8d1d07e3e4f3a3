"""The idempotency ledger: `with ledger.once(key) as first_time:` makes a side effect happen once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from processor.store.db import Sessions, session_scope, utcnow
from processor.store.models import LedgerEntry


class LedgerBusyError(Exception):
    """Another worker holds this key right now; retry later (the pipeline treats it as transient)."""

    retry_after = 30.0


class Ledger:
    """Keys of side effects taken, each on its own short transaction.

    `once(key)` inserts the key as `pending` and commits before the block runs, so a concurrent
    caller sees it; the key becomes `done` when the block succeeds and is released (deleted) when
    the block raises. A `pending` key older than `lease` belongs to a worker that died mid-effect:
    the next caller takes it over and must re-read the remote state first (see the refund flow).
    """

    def __init__(
        self, sessions: Sessions, *, event_id: int | None = None, lease: timedelta | None = None
    ) -> None:
        self._sessions = sessions
        self._event_id = event_id
        self._lease = lease if lease is not None else timedelta(minutes=10)

    @contextmanager
    def once(self, key: str) -> Iterator[bool]:
        """Yield True to the one caller that should perform the effect, False when it is done."""
        taken_at = self._take(key)
        if taken_at is None:
            yield False
            return
        try:
            yield True
        except BaseException:
            self._release(key, taken_at)
            raise
        self._complete(key, taken_at)

    def is_done(self, key: str) -> bool:
        """Whether the effect under `key` has completed."""
        with session_scope(self._sessions) as session:
            state = session.execute(
                select(LedgerEntry.state).where(LedgerEntry.key == key)
            ).scalar_one_or_none()
        return state == "done"

    def entry(self, key: str) -> tuple[str, dict[str, Any] | None] | None:
        """(state, result) under `key`, or None when nobody took it."""
        with session_scope(self._sessions) as session:
            row = session.execute(
                select(LedgerEntry.state, LedgerEntry.result).where(LedgerEntry.key == key)
            ).one_or_none()
        return None if row is None else (row[0], row[1])

    def record(self, key: str, result: dict[str, Any] | None = None) -> bool:
        """Mark `key` done without a block (e.g. a state already true at Wix); False if it was."""
        with self.once(key) as first_time:
            pass
        if first_time and result is not None:
            self.set_result(key, result)
        return first_time

    def set_result(self, key: str, result: dict[str, Any]) -> None:
        """Keep a small JSON result beside the key (ids, amounts; never personal data)."""
        with session_scope(self._sessions) as session:
            session.execute(update(LedgerEntry).where(LedgerEntry.key == key).values(result=result))

    def forget(self, key: str) -> None:
        """Drop a key so the effect may happen again (used when a person undoes it)."""
        with session_scope(self._sessions) as session:
            session.execute(delete(LedgerEntry).where(LedgerEntry.key == key))

    def _take(self, key: str) -> datetime | None:
        now = utcnow()
        with session_scope(self._sessions) as session:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            inserted = session.execute(
                insert(LedgerEntry)
                .values(key=key, state="pending", created_at=now, event_id=self._event_id)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(LedgerEntry.key)
            ).scalar_one_or_none()
            if inserted is not None:
                return now
            state, created_at = session.execute(
                select(LedgerEntry.state, LedgerEntry.created_at).where(LedgerEntry.key == key)
            ).one()
            if state == "done":
                return None
            if created_at > now - self._lease:
                raise LedgerBusyError(f"ledger key {key!r} is being worked on by another worker")
            taken = session.execute(  # a dead worker's pending key: take it over
                update(LedgerEntry)
                .where(LedgerEntry.key == key, LedgerEntry.created_at == created_at)
                .values(created_at=now, event_id=self._event_id)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise LedgerBusyError(f"ledger key {key!r} was just taken by another worker")
            return now

    def _complete(self, key: str, taken_at: datetime) -> None:
        with session_scope(self._sessions) as session:
            session.execute(
                update(LedgerEntry)
                .where(LedgerEntry.key == key, LedgerEntry.created_at == taken_at)
                .values(state="done", finished_at=utcnow())
            )

    def _release(self, key: str, taken_at: datetime) -> None:
        with session_scope(self._sessions) as session:
            session.execute(
                delete(LedgerEntry).where(
                    LedgerEntry.key == key,
                    LedgerEntry.created_at == taken_at,
                    LedgerEntry.state == "pending",
                )
            )
