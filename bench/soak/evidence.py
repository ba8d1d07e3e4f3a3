"""Evidence beside a violation, from the store: an event's attempts, a booking's events and ledger keys."""

from __future__ import annotations

from typing import Any

import psycopg


def event_story(conn: psycopg.Connection[Any], event_id: int) -> str:
    """`event 12 (type) status: reason` and one line per attempt (start, end, outcome, error, worker)."""
    row = conn.execute(
        "SELECT id, event_type, status, status_reason, received_at, entity_id FROM events WHERE id = %s",
        (event_id,),
    ).fetchone()
    if row is None:
        return f"event {event_id}: not in the store"
    eid, kind, status, reason, received, entity = row
    lines = [
        f"event {eid} ({kind.rsplit('.', 1)[-1]}, entity {entity}) {status}"
        + (f": {reason}" if reason else "")
        + f"; received {received:%H:%M:%S.%f}"[:-3]
    ]
    for number, started, finished, outcome, error, worker in conn.execute(
        "SELECT number, started_at, finished_at, outcome, error, worker FROM attempts "
        "WHERE event_id = %s ORDER BY number, started_at",
        (event_id,),
    ):
        end = f"{finished:%H:%M:%S.%f}"[:-3] if finished else "never finished"
        lines.append(
            f"    attempt {number}: {started:%H:%M:%S.%f}"[:-3]
            + f" → {end} {outcome or '-'}"
            + (f" ({error[:160]})" if error else "")
            + (f" [{worker}]" if worker else "")
        )
    return "\n".join(lines)


def booking_story(conn: psycopg.Connection[Any], booking_id: str) -> str:
    """Every stored event of the booking with its attempts, then its ledger keys."""
    ids = [
        r[0] for r in conn.execute("SELECT id FROM events WHERE entity_id = %s ORDER BY id", (booking_id,))
    ]
    parts = [event_story(conn, i) for i in ids]
    for key, state, created, finished, event_id in conn.execute(
        "SELECT key, state, created_at, finished_at, event_id FROM ledger WHERE key LIKE %s "
        "ORDER BY created_at",
        (f"%{booking_id}%",),
    ):
        done = f"{finished:%H:%M:%S.%f}"[:-3] if finished else "-"
        parts.append(
            f"    ledger {key} {state} taken {created:%H:%M:%S.%f}"[:-3] + f" done {done} by event {event_id}"
        )
    return "\n".join("  " + p for p in parts)


def connection_story(conn: psycopg.Connection[Any], connection_id: str) -> str:
    """The watcher's events of one calendar connection, with their attempts, and its last status."""
    ids = [
        r[0] for r in conn.execute("SELECT id FROM events WHERE entity_id = %s ORDER BY id", (connection_id,))
    ]
    parts = [event_story(conn, i) for i in ids] or ["no event of this connection in the store"]
    row = conn.execute(
        "SELECT status, status_since FROM calendar_connections WHERE connection_id = %s", (connection_id,)
    ).fetchone()
    if row is not None:
        parts.append(f"    last seen {row[0]} since {row[1]:%H:%M:%S}")
    return "\n".join("  " + p for p in parts)
