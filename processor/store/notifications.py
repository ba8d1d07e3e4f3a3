"""The notification outbox: record an email or ops alert once by key, lease, claim, and mark what came of it.

Flows record; delivery (the first try by the worker's courier or the attempt itself, then the
`deliver_notifications` task's retries) claims a batch with one conditional update, sends each and
marks it. The broker is only a doorbell here too: `lease_due` picks what is due (retries, tries that
were not made, claims of a dead worker) and the sweep publishes it, so a lost try delays a
notification but never loses it. The hot path's statements are in notification_sql.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from processor.store import notification_sql as sql
from processor.store.db import Sessions, autocommit, session_scope
from processor.store.driver import run_alone
from processor.store.models import Notification, NotificationStatus

N = NotificationStatus


def _engine(sessions: Sessions) -> Engine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("the outbox needs sessions bound to an Engine")
    return bind


@dataclass(frozen=True)
class NewNotification:
    """What a flow records: `message` is everything delivery needs; `skipped_because` records it done."""

    key: str
    channel: Literal["email", "ops"]
    kind: str
    recipient_role: Literal["host", "customer", "ops"]
    message: dict[str, Any] | None
    booking_id: str | None = None
    skipped_because: str | None = None


@dataclass(frozen=True)
class Recorded:
    """The notification under a key after `record`: new, already there, or a failed one re-armed."""

    id: int
    event_id: int
    status: str
    outcome: Literal["recorded", "exists", "rearmed"]


@dataclass(frozen=True)
class Claimed:
    """A notification this delivery run alone sends (attempt `attempts`) until it marks the result."""

    id: int
    event_id: int
    channel: str
    kind: str
    recipient_role: str
    booking_id: str | None
    attempts: int
    message: dict[str, Any] | None
    claimed_at: datetime


def record(
    sessions: Sessions, event_id: int, new: NewNotification, *, now: datetime, rearm_failed: bool = True
) -> Recorded:
    """Insert unless the key exists (one statement); a `failed` one is re-armed with the fresh message.

    An email whose key a purged event held is not inserted (the same statement checks) and is
    reported as there already (`exists`, id 0): once per booking outlives the purge. Each statement
    commits by itself (`driver.run_alone`); only a key that was there already costs a second one."""
    if new.channel == "email":
        return record_emails(sessions, event_id, [new], now=now, rearm_failed=rearm_failed)[0]
    engine, values = _engine(sessions), _values(event_id, new, now)
    new_id = run_alone(engine, sql.insert_ignoring_key(engine.dialect.name), values).scalar()
    if new_id is not None:
        return Recorded(new_id, event_id, values["status"], "recorded")
    return _there_already(sessions, new, now=now, rearm_failed=rearm_failed)


def record_emails(
    sessions: Sessions,
    event_id: int,
    news: Sequence[NewNotification],
    *,
    now: datetime,
    rearm_failed: bool = True,
) -> list[Recorded]:
    """`record` for several emails at once, in the order given: those whose key is new and was not
    purged are inserted by one statement (one transaction: all of them or none), and each of the
    others costs its own lookups as in `record` (there already, purged, or a `failed` one re-armed).
    A refund's three emails are one statement so, not three (bench/README.md)."""
    if not news:
        return []
    if any(new.channel != "email" for new in news) or len({new.key for new in news}) != len(news):
        raise ValueError("record_emails: emails only, each key once")
    engine = _engine(sessions)
    rows = [_values(event_id, new, now) for new in news]
    # Inserted in key order: two batches sharing keys wait for each other, never deadlock.
    in_order = sorted(rows, key=lambda row: row["key"])
    params = {f"{name}_{i}": value for i, row in enumerate(in_order) for name, value in row.items()}
    statement = sql.emails_insert(engine.dialect.name, len(rows))
    inserted = {key: new_id for new_id, key in run_alone(engine, statement, params).rows}
    return [
        Recorded(inserted[new.key], event_id, row["status"], "recorded")
        if new.key in inserted
        else _there_already(sessions, new, now=now, rearm_failed=rearm_failed)
        for new, row in zip(news, rows, strict=True)
    ]


def _values(event_id: int, new: NewNotification, now: datetime) -> dict[str, Any]:
    """The row `new` is recorded as (`skipped` at once when it says why it is not sent)."""
    skipped = new.skipped_because is not None
    return {
        "event_id": event_id,
        "key": new.key,
        "channel": new.channel,
        "kind": new.kind,
        "recipient_role": new.recipient_role,
        "status": (N.SKIPPED if skipped else N.PENDING).value,
        "attempts": 0,
        "last_error": new.skipped_because,
        "next_attempt_at": None if skipped else now,
        "created_at": now,
        "updated_at": now,
        "booking_id": new.booking_id,
        "message": None if skipped else new.message,
    }


def _there_already(
    sessions: Sessions, new: NewNotification, *, now: datetime, rearm_failed: bool
) -> Recorded:
    """The key was not inserted: what is under it (or what its purged event left), a `failed` one re-armed."""
    with autocommit(_engine(sessions)) as conn:  # the rarer path, on Core
        if new.channel == "email" and (purged := conn.execute(sql.PURGED_BY_KEY, {"k": new.key}).first()):
            return Recorded(0, purged.event_id, purged.status, "exists")
        found_id, found_event, found_status = conn.execute(sql.FIND_BY_KEY, {"k": new.key}).one()
    failed = rearm_failed and found_status == N.FAILED and new.skipped_because is None
    if failed and rearm(sessions, found_id, now=now, message=new.message):
        return Recorded(found_id, found_event, N.PENDING.value, "rearmed")
    return Recorded(found_id, found_event, found_status, "exists")


def rearm(
    sessions: Sessions, notification_id: int, *, now: datetime, message: dict[str, Any] | None = None
) -> bool:
    """`failed` → `pending` with a fresh attempt budget (replay); False when it was not failed."""
    values: dict[str, Any] = {
        "status": N.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_at": None,
        "updated_at": now,
    }
    if message is not None:
        values["message"] = message
    with session_scope(sessions) as session:
        result = session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.status == N.FAILED.value)
            .values(values)
        )
        return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def lease_due(
    sessions: Sessions,
    *,
    now: datetime,
    lease: timedelta,
    stale_after: timedelta,
    ids: Sequence[int] | None = None,
    limit: int = 500,
) -> list[int]:
    """Ids to publish: due `pending` ones (of `ids`, or any) and, without `ids`, stale `sending` claims.

    Each is pushed `lease` into the future so the next sweep does not publish it again while its
    message waits; delivery claims any `pending` one it is given. Two sweeps lease disjoint sets.
    """
    due = and_(Notification.status == N.PENDING.value, Notification.next_attempt_at <= now)
    if ids is not None:
        if not ids:
            return []
        chosen = and_(due, Notification.id.in_(list(ids)))
    else:
        stale = and_(Notification.status == N.SENDING.value, Notification.claimed_at < now - stale_after)
        candidates = select(Notification.id).where(or_(due, stale)).order_by(Notification.id).limit(limit)
        chosen = and_(Notification.id.in_(candidates.scalar_subquery()), or_(due, stale))
    with session_scope(sessions) as session:
        leased = session.execute(
            update(Notification)
            .where(chosen)
            .values(status=N.PENDING.value, next_attempt_at=now + lease, updated_at=now)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        ).scalars()
        return sorted(leased)


def unlease(sessions: Sessions, ids: Sequence[int], *, now: datetime, due_at: datetime | None = None) -> None:
    """Leased ids no run will send now (the broker did not take them, or SMTP is down): due again at
    `due_at` (default now), for the sweep to publish."""
    if not ids:
        return
    with session_scope(sessions) as session:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(list(ids)), Notification.status == N.PENDING.value)
            .values(next_attempt_at=due_at or now, updated_at=now)
        )


def claim(sessions: Sessions, notification_id: int, *, now: datetime) -> Claimed | None:
    """`pending` → `sending`, counting the attempt; None when another run has it or it is finished."""
    claimed = claim_many(sessions, [notification_id], now=now)
    return claimed[0] if claimed else None


def claim_many(sessions: Sessions, notification_ids: Sequence[int], *, now: datetime) -> list[Claimed]:
    """Each of them still `pending` → `sending`, counting the attempt, in one statement; in the order
    given. The others are another run's or finished. A run that dies holding claims leaves them
    `sending`: the sweep re-arms a claim older than the lease (`lease_due`)."""
    if not notification_ids:
        return []
    engine = _engine(sessions)
    statement = sql.claim_many_statement(engine.dialect.name)
    rows = run_alone(engine, statement, {"nids": list(notification_ids), "now": now}).rows
    by_id = {}
    for nid, event_id, channel, kind, role, booking_id, attempts, message in rows:
        by_id[nid] = Claimed(
            nid, event_id, channel, kind, role, booking_id, attempts, message, claimed_at=now
        )
    return [by_id[i] for i in dict.fromkeys(notification_ids) if i in by_id]


def unclaim(sessions: Sessions, claimed: Sequence[Claimed], *, due_at: datetime, now: datetime) -> None:
    """Claims this run will not send now (the SMTP server is down): `pending` again, due at `due_at`,
    the attempt not counted (none was made)."""
    by_claim: dict[datetime, list[int]] = {}
    for c in claimed:
        by_claim.setdefault(c.claimed_at, []).append(c.id)
    with autocommit(_engine(sessions)) as conn:
        for claimed_at, ids in by_claim.items():
            conn.execute(sql.UNCLAIM, {"nids": ids, "claimed": claimed_at, "due": due_at, "now": now})


def mark_sent(sessions: Sessions, claimed: Claimed, *, now: datetime) -> bool:
    """Sent: keep the metadata, drop the message (names, addresses, the .ics)."""
    return _finish(sessions, claimed, now, status=N.SENT, sent_at=now, last_error=None, message=None)


def mark_retry(
    sessions: Sessions, claimed: Claimed, *, error: str, next_attempt_at: datetime, now: datetime
) -> bool:
    """This attempt failed; try again at `next_attempt_at` (the sweep publishes it then)."""
    return _finish(
        sessions, claimed, now, status=N.PENDING, last_error=error, next_attempt_at=next_attempt_at
    )


def mark_failed(sessions: Sessions, claimed: Claimed, *, error: str, now: datetime) -> bool:
    """No more attempts; the message stays for a replay."""
    return _finish(sessions, claimed, now, status=N.FAILED, last_error=error, next_attempt_at=None)


def mark_skipped(sessions: Sessions, claimed: Claimed, *, reason: str, now: datetime) -> bool:
    """Nothing to send after all (email turned off, nobody to receive it); the message goes."""
    return _finish(sessions, claimed, now, status=N.SKIPPED, last_error=reason, message=None)


def _finish(
    sessions: Sessions, claimed: Claimed, now: datetime, *, status: NotificationStatus, **values: Any
) -> bool:
    values = {"status": status.value, "updated_at": now, **values}
    names = tuple(sorted(values))
    params = {f"new_{name}": values[name] for name in names}
    ran = run_alone(
        _engine(sessions),
        sql.finish_statement(names),
        {"nid": claimed.id, "claimed": claimed.claimed_at, **params},
    )
    return ran.rowcount == 1


def get(session: Session, notification_id: int) -> Notification | None:
    """One notification."""
    return session.get(Notification, notification_id)


def for_event(session: Session, event_id: int) -> list[Notification]:
    """The notifications an event recorded, oldest first."""
    query = select(Notification).where(Notification.event_id == event_id).order_by(Notification.id)
    return list(session.execute(query).scalars())
