"""The store's tables: events, attempts and notifications, the idempotency ledger, sites, what we watch."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class EventStatus(enum.StrEnum):
    """Where an event is in its life; see the README's status table."""

    RECEIVED = "received"
    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    DEAD = "dead"
    IGNORED = "ignored"
    SKIPPED = "skipped"


FINISHED_STATUSES = (EventStatus.SUCCEEDED, EventStatus.IGNORED, EventStatus.SKIPPED)
PENDING_STATUSES = (EventStatus.RECEIVED, EventStatus.QUEUED, EventStatus.PROCESSING)

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so it autoincrements) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps them naive, so they are re-tagged on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}


class Event(Base):
    """One Wix webhook (or watcher observation), with the evidence it arrived with."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    wix_event_id: Mapped[str] = mapped_column(String(200), unique=True)
    event_type: Mapped[str] = mapped_column(String(200), index=True)
    source: Mapped[str] = mapped_column(String(20), default="wix")
    instance_id: Mapped[str | None] = mapped_column(String(100), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(200))
    entity_sequence: Mapped[int | None] = mapped_column(BigInteger)
    event_time: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.RECEIVED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    # attempt_count when the event was last replayed: MAX_ATTEMPTS counts from here.
    replay_base: Mapped[int] = mapped_column(Integer, default=0)
    # When the personal data of `payload` was removed (retention or a privacy request); None: intact.
    payload_redacted_at: Mapped[datetime | None]

    attempts: Mapped[list[Attempt]] = relationship(
        back_populates="event", order_by="Attempt.number", cascade="all, delete-orphan"
    )
    notifications: Mapped[list[Notification]] = relationship(order_by="Notification.id", viewonly=True)

    __table_args__ = (
        Index("ix_events_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_events_status_updated", "status", "updated_at"),
        Index("ix_events_received_at", "received_at"),
        Index("ix_events_status_received_at", "status", "received_at"),
        # The flows' per-entity questions (newest sequence seen, handled before) from the index
        # alone; its prefix serves every lookup by entity id.
        Index("ix_events_entity_type_status", "entity_id", "event_type", "status", "entity_sequence"),
    )


class EventCount(Base):
    """How many events of a type are in a final status, kept by triggers on `events` (migration 0007)
    as rows enter or leave that status, so /metrics needs no GROUP BY over every event."""

    __tablename__ = "event_counts"

    event_type: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class Attempt(Base):
    """One processing run of an event: when, how it ended, and why."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(200))

    event: Mapped[Event] = relationship(back_populates="attempts")


class LedgerEntry(Base):
    """A side effect that happened (or is happening) once, keyed by what it changes."""

    __tablename__ = "ledger"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # pending | done
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    event_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    result: Mapped[dict[str, Any] | None]


class NotificationStatus(enum.StrEnum):
    """Where a notification is: pending → sending → sent; failed after its attempts; skipped."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Notification(Base):
    """One email or ops alert a flow recorded, delivered by its own task with its own retries.

    `key` is its idempotency key (`email:<bookingId>:invitation`, `ops:refund.failed:<event id>`, …).
    `message` holds what delivery needs (rendered at flow time); it is dropped once sent, so names and
    addresses do not linger.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | ops
    kind: Mapped[str] = mapped_column(String(60))
    recipient_role: Mapped[str] = mapped_column(String(20))  # host | customer | ops
    status: Mapped[str] = mapped_column(String(20), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    booking_id: Mapped[str | None] = mapped_column(String(200), index=True)
    message: Mapped[dict[str, Any] | None]

    __table_args__ = (Index("ix_notifications_status_next_attempt", "status", "next_attempt_at"),)


class PurgedNotice(Base):
    """An email key whose event the purge deleted: a later event of the booking does not send it again.

    Email keys are once per booking (or revision), and the outbox row that held one goes with its
    event; this row keeps the key (ids only) so a cancellation delivered after the purge emails nobody
    twice, as the ledger keeps it from refunding twice."""

    __tablename__ = "purged_notices"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    purged_at: Mapped[datetime]


class PrivacyErasure(Base):
    """A privacy request carried out: what asked, whose (as ids or a hash, never the data), what changed."""

    __tablename__ = "privacy_erasures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    requested_by: Mapped[str] = mapped_column(String(20))  # wix_event | cli
    event_id: Mapped[int | None] = mapped_column(BigInteger)  # the anonymisation event, when one asked
    subject_kind: Mapped[str] = mapped_column(String(20))  # booking | contact | email
    # A booking or contact id; for an email, its SHA-256 (so the record holds no address).
    subject_ref: Mapped[str] = mapped_column(String(200))
    events_redacted: Mapped[int] = mapped_column(Integer, default=0)
    notifications_cleared: Mapped[int] = mapped_column(Integer, default=0)
    erased_at: Mapped[datetime]


class Site(Base):
    """A Wix site (app instance) we serve: installed by AppInstalled, or WIX_SITE_ID."""

    __tablename__ = "sites"

    instance_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="installed")  # installed | removed
    installed_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    meetings_service_id: Mapped[str | None] = mapped_column(String(100))
    booking_page_url: Mapped[str | None] = mapped_column(Text)
    schedule_id: Mapped[str | None] = mapped_column(String(100))
    booking_policy_id: Mapped[str | None] = mapped_column(String(100))
    details: Mapped[dict[str, Any] | None]
    # What the calendar watcher saw at its last whole-site look (the console's sites page).
    last_polled_at: Mapped[datetime | None]
    last_poll_error: Mapped[str | None] = mapped_column(String(200))
    hosts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)


class CalendarConnectionState(Base):
    """The calendar watcher's memory: the last status seen of each external calendar connection."""

    __tablename__ = "calendar_connections"

    connection_id: Mapped[str] = mapped_column(String(500), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(100), index=True)
    schedule_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))
    error_reason: Mapped[str | None] = mapped_column(String(60))
    status_since: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    missing_count: Mapped[int] = mapped_column(Integer, default=0)
    connection: Mapped[dict[str, Any] | None]


class DeactivatedLink(Base):
    """A scheduling link this processor turned off, so recovery reactivates only those."""

    __tablename__ = "deactivated_links"

    service_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(100), index=True)
    schedule_id: Mapped[str | None] = mapped_column(String(100), index=True)
    connection_id: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str | None] = mapped_column(Text)
    deactivated_at: Mapped[datetime]
    # The service revision our write left it at; a higher one at recovery means someone edited it.
    revision: Mapped[int | None] = mapped_column(BigInteger)


class WixToken(Base):
    """An OAuth access token per app instance, shared by every process until shortly before expiry."""

    __tablename__ = "wix_tokens"

    instance_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    fetched_at: Mapped[datetime]


class ReplayJob(Base):
    """A bulk replay started from the console: its progress and cancel flag, shared by every web process."""

    __tablename__ = "replay_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # running | finished | cancelled | failed
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    replayed: Mapped[int] = mapped_column(Integer, default=0)
    force: Mapped[bool] = mapped_column(default=False)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class RateLimit(Base):
    """A request budget shared by every worker process (GCRA): `tat` is the "theoretical arrival
    time" of the next request, in Unix seconds. Used when the broker is not Redis."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    tat: Mapped[float] = mapped_column(Float(precision=53))
