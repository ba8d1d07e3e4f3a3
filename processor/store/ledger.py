"""The idempotency ledger: `with ledger.once(key) as first_time:` makes a side effect happen once.

Each statement commits by itself (`driver.run_alone`: one round trip on PostgreSQL, sent on the
pool's driver connection; every write here is one statement, and the conditional ones check what
they rely on in their WHERE), with no ORM session (a refund flow makes about six calls, and the
session's bookkeeping cost more CPU than the statements), and the statements are built once per
process, so they are compiled once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Executable, bindparam, delete, select, update

from processor.store.db import Sessions, autocommit, dialect_insert, utcnow
from processor.store.driver import run_alone
from processor.store.models import LedgerEntry

_COLUMNS = LedgerEntry.__table__.c
_KEY = LedgerEntry.key == bindparam("k")
_SELECT_STATE = select(LedgerEntry.state).where(_KEY)
_SELECT_ENTRY = select(LedgerEntry.state, LedgerEntry.result).where(_KEY)
_SELECT_TAKEN = select(LedgerEntry.state, LedgerEntry.created_at).where(_KEY)
_SET_RESULT = (
    update(LedgerEntry).where(_KEY).values(result=bindparam("new_result", type_=_COLUMNS.result.type))
)
_FORGET = delete(LedgerEntry).where(_KEY)
_TAKEN_AT = LedgerEntry.created_at == bindparam("taken_at", type_=_COLUMNS.created_at.type)
_TAKE_OVER = (
    update(LedgerEntry)
    .where(_KEY, _TAKEN_AT)
    .values(
        created_at=bindparam("now", type_=_COLUMNS.created_at.type),
        event_id=bindparam("new_event_id", type_=_COLUMNS.event_id.type),
    )
)
_COMPLETE = (
    update(LedgerEntry)
    .where(_KEY, _TAKEN_AT)
    .values(state="done", finished_at=bindparam("now", type_=_COLUMNS.finished_at.type))
)
_COMPLETE_WITH_RESULT = _COMPLETE.values(result=bindparam("new_result", type_=_COLUMNS.result.type))
_RELEASE = delete(LedgerEntry).where(_KEY, _TAKEN_AT, LedgerEntry.state == "pending")
_inserts: dict[str, Executable] = {}


def _insert(dialect: str) -> Executable:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING key, for this dialect (built once)."""
    if dialect not in _inserts:
        insert = dialect_insert(dialect)
        _inserts[dialect] = (
            insert(LedgerEntry).on_conflict_do_nothing(index_elements=["key"]).returning(LedgerEntry.key)
        )
    return _inserts[dialect]


class LedgerBusyError(Exception):
    """Another worker holds this key right now; retry later (the pipeline treats it as transient)."""

    retry_after = 30.0


class Ledger:
    """Keys of side effects taken, each write one statement that commits by itself.

    `once(key)` inserts the key as `pending` and commits before the block runs, so a concurrent
    caller sees it; the key becomes `done` when the block succeeds and is released (deleted) when
    the block raises. A `pending` key older than `lease` belongs to a worker that died mid-effect:
    the next caller takes it over and must re-read the remote state first (see the refund flow).
    """

    def __init__(
        self, sessions: Sessions, *, event_id: int | None = None, lease: timedelta | None = None
    ) -> None:
        bind = sessions.kw.get("bind")
        if not isinstance(bind, Engine):
            raise TypeError("the ledger needs sessions bound to an Engine")
        self._engine = bind
        self._event_id = event_id
        self._lease = lease if lease is not None else timedelta(minutes=10)
        # Results set while this ledger's own `once(key)` block runs: written with the completion.
        self._held: dict[str, dict[str, Any] | None] = {}

    @contextmanager
    def once(self, key: str) -> Iterator[bool]:
        """Yield True to the one caller that should perform the effect, False when it is done."""
        taken_at = self._take(key)
        if taken_at is None:
            yield False
            return
        self._held[key] = None
        try:
            yield True
        except BaseException:
            self._held.pop(key, None)
            self._release(key, taken_at)
            raise
        self._complete(key, taken_at, self._held.pop(key, None))

    def is_done(self, key: str) -> bool:
        """Whether the effect under `key` has completed."""
        rows = self._rows(_SELECT_STATE, k=key)
        return bool(rows) and rows[0][0] == "done"

    def entry(self, key: str) -> tuple[str, dict[str, Any] | None] | None:
        """(state, result) under `key`, or None when nobody took it."""
        rows = self._rows(_SELECT_ENTRY, k=key)
        return (str(rows[0][0]), rows[0][1]) if rows else None

    def record(self, key: str, result: dict[str, Any] | None = None) -> bool:
        """Mark `key` done without a block (e.g. a state already true at Wix); False if it was.

        A key nobody holds is written done, with its result, in one statement; a key someone holds
        or held goes the way of `once` (done: False; a live holder: busy; a dead one: taken over)."""
        now = utcnow()
        values = {"key": key, "state": "done", "created_at": now, "finished_at": now}
        values |= {"event_id": self._event_id, "result": result}
        if run_alone(self._engine, _insert(self._engine.dialect.name), values).rows:
            return True
        with self.once(key) as first_time:
            if first_time and result is not None:
                self.set_result(key, result)  # written with the completion
        return first_time

    def set_result(self, key: str, result: dict[str, Any]) -> None:
        """Keep a small JSON result beside the key (ids, amounts; never personal data). Inside this
        ledger's own `once(key)` block it is written with the key's completion, one statement for
        both (a block that raises gives the key back, result and all, as before)."""
        if key in self._held:
            self._held[key] = result
            return
        self._execute(_SET_RESULT, k=key, new_result=result)

    def forget(self, key: str) -> None:
        """Drop a key so the effect may happen again (used when a person undoes it)."""
        self._execute(_FORGET, k=key)

    def _rows(self, statement: Executable, **params: Any) -> list[tuple[Any, ...]]:
        """The rows of one query."""
        return run_alone(self._engine, statement, params).rows

    def _execute(self, statement: Executable, **params: Any) -> None:
        """One statement, committed."""
        run_alone(self._engine, statement, params)

    def _take(self, key: str) -> datetime | None:
        now = utcnow()
        values = {"key": key, "state": "pending", "created_at": now, "event_id": self._event_id}
        if run_alone(self._engine, _insert(self._engine.dialect.name), values).rows:
            return now
        with autocommit(self._engine) as conn:  # held or done: the rarer path, on Core
            found = conn.execute(_SELECT_TAKEN, {"k": key}).first()
            if found is None:  # released between the two statements: its holder gave up just now
                raise LedgerBusyError(f"ledger key {key!r} was just given back; try again")
            state, created_at = found
            if state == "done":
                return None
            if created_at > now - self._lease:
                raise LedgerBusyError(f"ledger key {key!r} is being worked on by another worker")
            taken = conn.execute(  # a dead worker's pending key: take it over
                _TAKE_OVER, {"k": key, "taken_at": created_at, "now": now, "new_event_id": self._event_id}
            )
            if taken.rowcount != 1:
                raise LedgerBusyError(f"ledger key {key!r} was just taken by another worker")
            return now

    def _complete(self, key: str, taken_at: datetime, result: dict[str, Any] | None) -> None:
        if result is None:
            self._execute(_COMPLETE, k=key, taken_at=taken_at, now=utcnow())
        else:
            self._execute(_COMPLETE_WITH_RESULT, k=key, taken_at=taken_at, now=utcnow(), new_result=result)

    def _release(self, key: str, taken_at: datetime) -> None:
        self._execute(_RELEASE, k=key, taken_at=taken_at)
