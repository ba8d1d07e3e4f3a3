"""Privacy requests: one person's data out of every stored payload and notification, and a record of it.

A subject is a booking (its events, by entity id), a contact (every event naming its id) or an email
address (every event holding it). Each event found loses the personal data of its whole payload, as
the retention redaction does (`redaction.py`): free text may name the person anywhere in it. Their
notifications not yet sent are dropped (`skipped`, message removed), so nobody is emailed about them
afterwards. The record (`privacy_erasures`) keeps ids or, for an email, its SHA-256: never the data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Text, cast, func, or_, select, update

from processor.store.db import Sessions, session_scope, utcnow
from processor.store.models import Event, Notification, PrivacyErasure
from processor.store.redaction import mentions
from processor.store.retention import redact_rows

SubjectKind = Literal["booking", "contact", "email", "entity"]
BATCH = 200
ERASED = "erased on a privacy request"


@dataclass(frozen=True)
class Subject:
    """Whose data goes: a booking id, a contact id, an email address, or another Wix entity's id."""

    kind: SubjectKind
    value: str

    @property
    def reference(self) -> str:
        """What the record keeps: the id, or an email's SHA-256."""
        if self.kind == "email":
            return "sha256:" + hashlib.sha256(self.value.strip().lower().encode()).hexdigest()
        return self.value


@dataclass(frozen=True)
class ErasureReport:
    """What a privacy request changed: counts only."""

    erasure_id: int
    events_redacted: int
    notifications_cleared: int

    def as_json(self) -> dict[str, Any]:
        return {
            "erasure_id": self.erasure_id,
            "events_redacted": self.events_redacted,
            "notifications_cleared": self.notifications_cleared,
        }


def erase(
    sessions: Sessions,
    subject: Subject,
    *,
    requested_by: Literal["wix_event", "cli"],
    event_id: int | None = None,
    now: datetime | None = None,
) -> ErasureReport:
    """Remove the subject's personal data from stored payloads and undelivered notifications; record it."""
    now = now or utcnow()
    redacted, entity_ids = _redact_events(sessions, subject, now)
    cleared = _clear_notifications(sessions, subject, entity_ids)
    with session_scope(sessions) as session:
        record = PrivacyErasure(
            requested_by=requested_by,
            event_id=event_id,
            subject_kind=subject.kind,
            subject_ref=subject.reference[:200],
            events_redacted=redacted,
            notifications_cleared=cleared,
            erased_at=now,
        )
        session.add(record)
        session.flush()
        erasure_id = record.id
    return ErasureReport(erasure_id, redacted, cleared)


def _candidates(subject: Subject) -> Any:
    if subject.kind in ("booking", "entity"):
        return Event.entity_id == subject.value
    # A text search narrows the rows; `mentions` then checks for an exact value (no partial matches).
    text = func.lower(cast(Event.payload, Text))
    return or_(Event.entity_id == subject.value, text.contains(subject.value.lower(), autoescape=True))


def _redact_events(sessions: Sessions, subject: Subject, now: datetime) -> tuple[int, set[str]]:
    redacted, entity_ids, after_id = 0, set[str](), 0
    while True:
        with session_scope(sessions) as session:
            rows = session.execute(
                select(Event.id, Event.entity_id, Event.payload)
                .where(_candidates(subject), Event.id > after_id, Event.payload_redacted_at.is_(None))
                .order_by(Event.id)
                .limit(BATCH)
                .with_for_update()
            ).all()
            if not rows:
                return redacted, entity_ids
            after_id = rows[-1].id
            hits = [
                row for row in rows if row.entity_id == subject.value or mentions(row.payload, subject.value)
            ]
            redact_rows(session, [(row.id, row.payload) for row in hits], now)
            redacted += len(hits)
            entity_ids.update(row.entity_id for row in hits if row.entity_id)


def _clear_notifications(sessions: Sessions, subject: Subject, entity_ids: set[str]) -> int:
    """Undelivered ones become `skipped` without their message; delivered ones just lose the message."""
    bookings = entity_ids | ({subject.value} if subject.kind in ("booking", "entity") else set())
    with session_scope(sessions) as session:
        rows = session.execute(
            select(Notification.id, Notification.status, Notification.booking_id, Notification.message)
            .where(Notification.message.is_not(None), Notification.status != "sending")
            .where(
                or_(
                    Notification.booking_id.in_(sorted(bookings)),
                    func.lower(cast(Notification.message, Text)).contains(
                        subject.value.lower(), autoescape=True
                    ),
                )
            )
            .with_for_update()
        ).all()
        ids = [row.id for row in rows if row.booking_id in bookings or mentions(row.message, subject.value)]
        undelivered = [row.id for row in rows if row.id in ids and row.status in ("pending", "failed")]
        if undelivered:
            session.execute(
                update(Notification)
                .where(Notification.id.in_(undelivered))
                .values(status="skipped", last_error=ERASED, next_attempt_at=None, claimed_at=None)
                .execution_options(synchronize_session=False)
            )
        if ids:
            session.execute(
                update(Notification)
                .where(Notification.id.in_(ids))
                .values(message=None)
                .execution_options(synchronize_session=False)
            )
    return len(ids)
