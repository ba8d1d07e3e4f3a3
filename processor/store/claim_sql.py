"""The claim and finish statements of the inbox, written once per dialect and compiled once.

A claim is the hot path of every event (issue 11: five ORM statements and a commit per claim, two
and a commit per finish, cost ~11 ms of worker CPU an event). Here each is one round trip on
PostgreSQL: a data-modifying CTE takes a batch of events, closes their abandoned attempts and opens
the new ones in the same statement. SQLite cannot modify data inside a CTE, so there the same steps
are a few statements in one local transaction (BEGIN IMMEDIATE: one writer at a time anyway).

Claim rule, per event: claimable when received or queued, failed and due, or processing by a worker
presumed dead (claimed before `stuck_before`). An event that has used `max_attempts` since its last
replay (attempt_count - replay_base) is not run again: the claim makes it `dead` with LOST_REASON
(a worker that is killed every time, by the hard time limit, OOM or a crash, never reaches the code
that would record a failure).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, bindparam, column, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

from processor.store.models import Event, UtcDateTime

LOST_REASON = "worker lost on every attempt"
ABANDONED_ERROR = "worker lost before finishing"

# What a claim reads back of each event: enough to run its flow without another query.
CLAIM_COLUMNS = (
    "id",
    "status",
    "attempt_count",
    "replay_base",
    "wix_event_id",
    "event_type",
    "source",
    "instance_id",
    "entity_id",
    "entity_sequence",
    "event_time",
    "payload",
)
_CLAIMABLE = """(
        status IN ('received', 'queued')
        OR (status = 'failed' AND next_attempt_at <= :now)
        OR (status = 'processing' AND claimed_at < :stuck_before)
    )"""
_EXHAUSTED = "attempt_count - replay_base >= :max_attempts"
_SET_CLAIMED = f"""
        status = CASE WHEN {_EXHAUSTED} THEN 'dead' ELSE 'processing' END,
        status_reason = CASE WHEN {_EXHAUSTED} THEN :lost_reason ELSE status_reason END,
        attempt_count = CASE WHEN {_EXHAUSTED} THEN attempt_count ELSE attempt_count + 1 END,
        claimed_at = :now,
        updated_at = :now,
        next_attempt_at = NULL"""

_PG_CLAIM = f"""
WITH picked AS (
    SELECT id FROM events
    WHERE id = ANY(:ids) AND {_CLAIMABLE}
    ORDER BY id
    FOR UPDATE
), claimed AS (
    UPDATE events SET {_SET_CLAIMED}
    FROM picked WHERE events.id = picked.id
    RETURNING {", ".join(f"events.{name}" for name in CLAIM_COLUMNS)}
), abandoned AS (
    UPDATE attempts SET finished_at = :now, outcome = 'abandoned', error = :abandoned_error
    WHERE event_id IN (SELECT id FROM claimed) AND finished_at IS NULL
), started AS (
    INSERT INTO attempts (event_id, number, started_at, worker)
    SELECT id, attempt_count, :now, :worker FROM claimed WHERE status = 'processing'
)
SELECT * FROM claimed ORDER BY id
"""  # noqa: S608 (built from this module's constants only)
# Rows are locked in id order (FOR UPDATE in `picked`), so two workers claiming overlapping batches
# wait for each other instead of deadlocking; the one that waited re-checks the rule on the row the
# other committed and leaves it. No SKIP LOCKED: a row the receiver is marking `queued` must be waited
# for, not skipped, or its only message would be spent.

_PG_FINISH = """
WITH done AS (
    UPDATE events SET
        status = f.status,
        status_reason = f.reason,
        next_attempt_at = f.next_attempt_at,
        updated_at = :now
    FROM unnest(
        CAST(:ids AS bigint[]), CAST(:claimed_ats AS timestamptz[]), CAST(:statuses AS varchar[]),
        CAST(:reasons AS text[]), CAST(:next_attempt_ats AS timestamptz[])
    ) AS f(id, claimed_at, status, reason, next_attempt_at)
    WHERE events.id = f.id AND events.status = 'processing' AND events.claimed_at = f.claimed_at
    RETURNING events.id
), ended AS (
    UPDATE attempts SET finished_at = :now, outcome = f.outcome, error = f.error
    FROM unnest(
        CAST(:ids AS bigint[]), CAST(:numbers AS integer[]), CAST(:outcomes AS varchar[]),
        CAST(:errors AS text[])
    ) AS f(event_id, number, outcome, error)
    WHERE attempts.event_id = f.event_id AND attempts.number = f.number
)
SELECT id FROM done
"""

_SQLITE_CLAIM = f"""
UPDATE events SET {_SET_CLAIMED}
WHERE id IN :ids AND {_CLAIMABLE}
RETURNING {", ".join(CLAIM_COLUMNS)}
"""  # noqa: S608 (built from this module's constants only)
_SQLITE_ABANDON = """
UPDATE attempts SET finished_at = :now, outcome = 'abandoned', error = :abandoned_error
WHERE event_id IN :ids AND finished_at IS NULL
"""
_SQLITE_START = """
INSERT INTO attempts (event_id, number, started_at, worker) VALUES (:event_id, :number, :now, :worker)
"""
_SQLITE_FINISH_EVENT = """
UPDATE events SET status = :status, status_reason = :reason, next_attempt_at = :next_attempt_at,
    updated_at = :now
WHERE id = :id AND status = 'processing' AND claimed_at = :claimed_at
RETURNING id
"""
_SQLITE_FINISH_ATTEMPT = """
UPDATE attempts SET finished_at = :now, outcome = :outcome, error = :error
WHERE event_id = :id AND number = :number
"""


def _typed(columns: tuple[str, ...]) -> list[Any]:
    table = Event.__table__.c
    return [column(name, table[name].type) for name in columns]


def _times(*names: str) -> list[Any]:
    return [bindparam(name, type_=UtcDateTime()) for name in names]


class Statements:
    """The inbox's claim and finish statements for one dialect."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        common = [*_times("now", "stuck_before"), bindparam("max_attempts", type_=Integer())]
        if dialect == "postgresql":
            self.claim: TextualSelect = (
                text(_PG_CLAIM)
                .bindparams(bindparam("ids", type_=ARRAY(BigInteger())), *common)
                .columns(*_typed(CLAIM_COLUMNS))
            )
            self.finish: TextClause = text(_PG_FINISH).bindparams(*_times("now"))
            return
        self.claim = (
            text(_SQLITE_CLAIM)
            .bindparams(bindparam("ids", expanding=True), *common)
            .columns(*_typed(CLAIM_COLUMNS))
        )
        self.abandon = text(_SQLITE_ABANDON).bindparams(bindparam("ids", expanding=True), *_times("now"))
        self.start = text(_SQLITE_START).bindparams(*_times("now"))
        self.finish_event = text(_SQLITE_FINISH_EVENT).bindparams(
            *_times("now", "claimed_at", "next_attempt_at"),
            bindparam("status", type_=String()),
            bindparam("reason", type_=Text()),
        )
        self.finish_attempt = text(_SQLITE_FINISH_ATTEMPT).bindparams(*_times("now"))


_statements: dict[str, Statements] = {}


def statements(dialect: str) -> Statements:
    """The statements of `dialect`, built on first use."""
    if dialect not in _statements:
        _statements[dialect] = Statements(dialect)
    return _statements[dialect]
