"""The outbox's statements (record, claim, mark), built once per process and compiled once.

A refund flow records three emails and delivery claims and marks each: building ORM statements and
sessions for them cost more CPU than running them (bench/README.md), so processor/store/
notifications.py sends these on Core connections or the driver (`driver.run_alone`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Executable,
    any_,
    bindparam,
    cast,
    exists,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql

from processor.store.db import dialect_insert
from processor.store.models import Notification, NotificationStatus, PurgedNotice

N = NotificationStatus

_C = Notification.__table__.c
FIND_BY_KEY = select(Notification.id, Notification.event_id, Notification.status).where(
    Notification.key == bindparam("k")
)
_CLAIMED_COLUMNS = (
    Notification.id,
    Notification.event_id,
    Notification.channel,
    Notification.kind,
    Notification.recipient_role,
    Notification.booking_id,
    Notification.attempts,
    Notification.message,
)
_CLAIM_SET = dict(
    status=N.SENDING.value,
    claimed_at=bindparam("now", type_=_C.claimed_at.type),
    updated_at=bindparam("now", type_=_C.updated_at.type),
    attempts=Notification.attempts + 1,
)
_claims: dict[str, Executable] = {}


def claim_many_statement(dialect: str) -> Executable:
    """`pending` → `sending` of the ids given, RETURNING what delivery needs (built once per dialect):
    `= ANY(array)` on PostgreSQL (one SQL for any number of ids, sent on the driver: driver.py),
    an expanding IN elsewhere."""
    if dialect not in _claims:
        chosen = (
            Notification.id == any_(bindparam("nids", type_=postgresql.ARRAY(BigInteger)))
            if dialect == "postgresql"
            else Notification.id.in_(bindparam("nids", expanding=True))
        )
        _claims[dialect] = (
            update(Notification)
            .where(chosen, Notification.status == N.PENDING.value)
            .values(_CLAIM_SET)
            .returning(*_CLAIMED_COLUMNS)
        )
    return _claims[dialect]


# Claimed ones a run will not send now (the SMTP server is down): pending again, the attempt not counted.
UNCLAIM = (
    update(Notification)
    .where(
        Notification.id.in_(bindparam("nids", expanding=True)),
        Notification.status == N.SENDING.value,
        Notification.claimed_at == bindparam("claimed", type_=_C.claimed_at.type),
    )
    .values(
        status=N.PENDING.value,
        claimed_at=None,
        attempts=Notification.attempts - 1,
        next_attempt_at=bindparam("due", type_=_C.next_attempt_at.type),
        updated_at=bindparam("now", type_=_C.updated_at.type),
    )
)
# An email key whose event the purge deleted (processor/store/purged_notices.py) is not recorded again.
PURGED_BY_KEY = select(PurgedNotice.event_id, PurgedNotice.status).where(PurgedNotice.key == bindparam("k"))
_inserts: dict[str, Executable] = {}
_email_inserts: dict[tuple[str, int], Executable] = {}
_finishes: dict[tuple[str, ...], Executable] = {}


def insert_ignoring_key(dialect: str) -> Executable:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, for this dialect (built once)."""
    if dialect not in _inserts:
        insert = dialect_insert(dialect)
        _inserts[dialect] = (
            insert(Notification).on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id)
        )
    return _inserts[dialect]


_RECORDED = (
    "event_id", "key", "channel", "kind", "recipient_role", "status", "attempts", "last_error",
    "next_attempt_at", "created_at", "updated_at", "booking_id", "message",
)  # fmt: skip


def emails_insert(dialect: str, count: int) -> Executable:
    """INSERT … SELECT the values of `count` emails, each WHERE its key was not purged, ON CONFLICT
    (key) DO NOTHING RETURNING id, key: the emails of one decision recorded in one statement (built
    once per dialect and count; row i's values are bound as `<column>_<i>`). PostgreSQL is told each
    value's type with a CAST (a NULL in a SELECT list is text to it); SQLite would cast by name
    affinity (JSON to a number), so there the bound types only convert the values."""
    if (dialect, count) not in _email_inserts:
        typed = dialect == "postgresql"
        rows = []
        for i in range(count):
            params = {name: bindparam(f"{name}_{i}", type_=_C[name].type) for name in _RECORDED}
            values = [(cast(p, _C[n].type) if typed else p).label(n) for n, p in params.items()]
            not_purged = ~exists().where(PurgedNotice.key == params["key"])
            rows.append(select(*values).where(not_purged))
        chosen = rows[0] if count == 1 else union_all(*rows)
        _email_inserts[dialect, count] = (
            dialect_insert(dialect)(Notification)
            .from_select(list(_RECORDED), chosen)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Notification.id, Notification.key)
        )
    return _email_inserts[dialect, count]


def finish_statement(names: tuple[str, ...]) -> Executable:
    """UPDATE of a claimed notification setting `names` (built once per set of names)."""
    if names not in _finishes:
        values = {name: bindparam(f"new_{name}", type_=_C[name].type) for name in names}
        _finishes[names] = (
            update(Notification)
            .where(
                Notification.id == bindparam("nid"),
                Notification.status == N.SENDING.value,
                Notification.claimed_at == bindparam("claimed", type_=_C.claimed_at.type),
            )
            .values(values)
        )
    return _finishes[names]
