"""The receiver's hot path on PostgreSQL: store one event in one prepared, autocommitted statement.

A webhook costs one database round trip here (two when it loses a race to a concurrent
delivery): an INSERT … ON CONFLICT DO NOTHING and, in the same statement, the lookup of the row a
redelivery collides with. The statement is prepared once per connection and sent with psycopg
directly: ~80 µs of client CPU against ~136 µs through SQLAlchemy Core (bench/README.md). Each
thread of each web process keeps its own connection, opened on first use after the fork.

The columns and values are the same as inbox.record_received's (inbox.received_values), so the
two paths cannot drift; tests run both against PostgreSQL.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from processor.config import normalize_database_url
from processor.store.db import utcnow
from processor.store.inbox import EVENT_COLUMNS, received_values
from processor.store.models import Event
from processor.wix_event import WixEvent

# Wix stops waiting after ~1.25 s and retries later, so a webhook gains nothing from waiting long
# on an unreachable or stuck server, while a sync web worker stuck on one serves no one else
# (libpq's connect_timeout has a 2 s floor).
CONNECT_TIMEOUT_SECONDS = 2
STATEMENT_TIMEOUT_MS = 5000

# Sub-statements of one statement share its snapshot: when the INSERT adds the row, the SELECT
# cannot see it (one row: new); on a conflict with a committed row, the SELECT finds it (one row:
# duplicate). A row committed by a racing delivery after this statement's snapshot gives no row
# at all; FIND_EXISTING then reads it.
RECORD_SQL = (
    sql.SQL(
        """
WITH new AS (
    INSERT INTO {table} ({columns}) VALUES ({values})
    ON CONFLICT (wix_event_id) DO NOTHING
    RETURNING id
)
SELECT id, true FROM new
UNION ALL
SELECT id, false FROM {table} WHERE wix_event_id = %s
"""
    )
    .format(
        table=sql.Identifier(Event.__tablename__),
        columns=sql.SQL(", ").join(map(sql.Identifier, EVENT_COLUMNS)),
        # Positional, the payload as JSON text: half the client CPU of named, adapted parameters.
        values=sql.SQL(", ").join(
            sql.SQL("%s::json" if name == "payload" else "%s") for name in EVENT_COLUMNS
        ),
    )
    .as_bytes()
)  # rendered once: psycopg re-renders a Composed on every execute
FIND_EXISTING_SQL = (
    sql.SQL("SELECT id FROM {table} WHERE wix_event_id = %s")
    .format(table=sql.Identifier(Event.__tablename__))
    .as_bytes()
)


def libpq_conninfo(database_url: str) -> str:
    """The settings' DATABASE_URL as a libpq URI (no SQLAlchemy driver suffix)."""
    url = make_url(normalize_database_url(database_url)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PostgresIngest:
    """record(event) -> (event id, is new); committed when it returns. Thread- and fork-safe."""

    def __init__(self, database_url: str, *, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS) -> None:
        self._conninfo = libpq_conninfo(database_url)
        self._statement_timeout_ms = statement_timeout_ms
        self._local = threading.local()

    def record(self, event: WixEvent) -> tuple[int, bool]:
        values = received_values(event, utcnow())
        values["payload"] = json.dumps(values["payload"])
        params = [values[name] for name in EVENT_COLUMNS] + [event.wix_event_id]
        for attempt in (1, 2):
            cursor, reused = self._cursor()
            try:
                row = cursor.execute(RECORD_SQL, params).fetchone()
                if row is not None:
                    return int(row[0]), bool(row[1])
                # Lost a race to a delivery committed after this statement's snapshot.
                (existing,) = cursor.execute(FIND_EXISTING_SQL, [event.wix_event_id]).fetchone() or (None,)
                if existing is None:
                    raise psycopg.DataError("the conflicting event row vanished")
                return int(existing), False
            except psycopg.OperationalError:
                self._discard()
                if attempt == 2 or not reused:  # a fresh connection failing means the server is down
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._discard()

    def _cursor(self) -> tuple[psycopg.Cursor[Any], bool]:
        """This thread's cursor, (re)opened when missing, closed, or inherited over a fork."""
        connection: psycopg.Connection[Any] | None = getattr(self._local, "connection", None)
        if connection is not None and not connection.closed and self._local.pid == os.getpid():
            return self._local.cursor, True
        connection = psycopg.connect(
            self._conninfo,
            autocommit=True,
            prepare_threshold=0,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            options=f"-c statement_timeout={self._statement_timeout_ms}",
        )
        self._local.connection, self._local.cursor, self._local.pid = (
            connection,
            connection.cursor(),
            os.getpid(),
        )
        return self._local.cursor, False

    def _discard(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None and self._local.pid == os.getpid():
            connection.close()
