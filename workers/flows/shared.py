"""What the flows share: the booking in an event and its context, and the outbox they record notices in."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import structlog

from processor.store import event_queries, notifications
from processor.store.db import Sessions
from processor.store.notifications import NewNotification, Recorded
from processor.wix.bookings import Booking
from processor.wix.client import WixClient
from processor.wix.errors import WixNotFoundError
from processor.wix.services import MEETINGS_APP_ID, Service
from processor.wix_event import WixEvent, parse_event_time
from workers.flows.registry import Skipped, Succeeded
from workers.notify.details import MeetingDetails
from workers.notify.email import Mailer
from workers.notify.ops import OpsAlerts
from workers.notify.spec import EmailMessageSpec, spec_to_json

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
# Hands stored event ids to the broker (Deps.publish): flows never import Celery.
Publish = Callable[[list[int]], object]

BOOKING_CREATED = "wix.bookings.v2.booking_created"
BOOKING_CONFIRMED = "wix.bookings.v2.booking_confirmed"
BOOKING_RESCHEDULED = "wix.bookings.v2.booking_rescheduled"
BOOKING_CANCELED = "wix.bookings.v2.booking_canceled"
BOOKING_EVENT_TYPES = (BOOKING_CREATED, BOOKING_CONFIRMED, BOOKING_RESCHEDULED, BOOKING_CANCELED)


def booking_of(event: WixEvent) -> Booking | None:
    """The booking an event carries (`body.booking`, or the entity itself for created events)."""
    body = event.body or {}
    raw = body.get("booking") if isinstance(body.get("booking"), dict) else body
    return Booking.from_wire(raw) if isinstance(raw, dict) and raw.get("id") else None


def sequence_of(event: WixEvent, booking: Booking) -> int:
    """The event's place in the booking's history: entityEventSequence, else the booking revision."""
    if event.entity_sequence is not None:
        return event.entity_sequence
    return booking.revision or 0


def newer_handled(sessions: Sessions, booking_id: str, sequence: int) -> int | None:
    """The newest sequence already handled for this booking, when it is newer than `sequence`."""
    with sessions() as session:
        newest = event_queries.newest_sequence_seen(session, booking_id, BOOKING_EVENT_TYPES)
    return newest if newest is not None and newest > sequence else None


@dataclass
class BookingContext:
    """One booking and, read at most once each, its service and host."""

    wix: WixClient
    booking: Booking
    _service: Service | None = field(default=None, repr=False)
    _service_read: bool = field(default=False, repr=False)

    @property
    def service(self) -> Service | None:
        """The booking's service (None when the slot names none or Wix no longer has it)."""
        slot = self.booking.slot
        if not self._service_read and slot is not None and slot.service_id:
            self._service_read = True
            try:
                self._service = self.wix.services.get(slot.service_id)
            except WixNotFoundError:
                self._service = None
        return self._service

    def is_meetings(self) -> bool:
        """booking.appId, else bookingSource.appDefId, else the service's appId (§3)."""
        if self.booking.is_meetings:
            return True
        service = self.service
        return service is not None and service.app_id == MEETINGS_APP_ID

    def host(self) -> tuple[str | None, str | None]:
        """The host's name and email: slot.resource, else the matching staff member."""
        resource = self.booking.slot.resource if self.booking.slot else None
        name, email = (resource.name, resource.email) if resource else (None, None)
        if email or resource is None or not resource.id:
            return name, email
        member = next((m for m in self.wix.staff.query() if m.matches_resource(resource.id)), None)
        if member is None:
            return name, None
        return name or member.name, member.email

    def details(self, *, with_service: bool = True) -> MeetingDetails | None:
        """The booking as notifications show it; None without readable start and end times."""
        booking, slot = self.booking, self.booking.slot
        start = _instant(booking.start_date) or _instant(slot.start_date if slot else None)
        end = _instant(booking.end_date) or _instant(slot.end_date if slot else None)
        if start is None or end is None:
            return None
        service = self.service if with_service else None
        host_name, host_email = self.host()
        contact = booking.contact
        title = (booking.raw.get("bookedEntity") or {}).get("title")
        customer = " ".join(p for p in (contact.first_name, contact.last_name) if p) if contact else ""
        return MeetingDetails(
            booking_id=booking.id,
            revision=booking.revision or 0,
            service_name=(service.name if service and service.name else None) or title or "Meeting",
            start_utc=start,
            end_utc=end,
            host_name=host_name,
            host_email=host_email,
            host_time_zone=slot.timezone if slot else None,
            customer_name=customer or None,
            customer_email=contact.email if contact else None,
            customer_phone=contact.phone if contact else None,
            booking_page_url=service.booking_page_url if service else None,
            location=_location(slot.raw if slot else {}),
            customer_time_zone=contact.time_zone if contact else None,
        )


def _instant(value: str | None) -> datetime | None:
    return parse_event_time(value) if value else None


def _location(slot: dict[str, Any]) -> str | None:
    location = slot.get("location") or {}
    return location.get("formattedAddress") or location.get("name") or None


def email_key(booking_id: str, name: str, revision: int | None = None) -> str:
    """The outbox key of one email about a booking: once per booking, or once per revision."""
    return f"email:{booking_id}:{name}" + ("" if revision is None else f":{revision}")


@dataclass
class Outbox:
    """Where flows record emails and ops alerts; delivery sends them, with its own retries.

    Flows never talk to SMTP or the ops webhook. Each record (or `emails`' batch) is one short
    transaction, insert-or-ignore by key, so what a flow recorded stays recorded when the flow fails
    afterwards, and a retry, a replay or a concurrent event never records it twice (a `failed` one
    is re-armed instead). `recorded` lists what this run recorded or re-armed: the pipeline sends it
    when the attempt's outcome is written, and the sweep's delivery tasks retry whatever that try
    misses.
    """

    sessions: Sessions
    event_id: int
    mailer: Mailer  # asked only whether email is on and who would receive a message
    ops: OpsAlerts  # asked only whether the webhook is set
    clock: Clock
    recorded: list[int] = field(default_factory=list)
    # Why this attempt records no email at all (an event a privacy request caused), or None.
    no_email_because: str | None = None

    def email(self, key: str, spec: EmailMessageSpec) -> Recorded:
        """Record `spec` under `key` (`skipped` at once when email is off or nobody can receive it)."""
        return self.emails([(key, spec)])[0]

    def emails(self, specs: Sequence[tuple[str, EmailMessageSpec]]) -> list[Recorded]:
        """Record several emails of one decision at once (one statement when their keys are new)."""
        news = [self._new_email(key, spec) for key, spec in specs]
        results = notifications.record_emails(self.sessions, self.event_id, news, now=self.clock())
        for result in results:
            self._note(result)
        return results

    def _new_email(self, key: str, spec: EmailMessageSpec) -> NewNotification:
        skip = self.no_email_because
        if skip is None and not self.mailer.enabled:
            skip = "email off (SMTP_URL unset)"
        elif skip is None and not self.mailer.recipient(spec):
            skip = "no recipient address"
        role: Literal["host", "customer"] = "customer" if spec.role == "customer" else "host"
        return NewNotification(key, "email", spec.kind, role, spec_to_json(spec), spec.booking_id, skip)

    def alert(self, key: str, kind: str, text: str, fields: Mapping[str, str]) -> Recorded:
        """Record one ops alert under `key`; the log line is written now, the webhook post is delivery's.

        Alerts carry ids only (booking, service, connection, event), never names or addresses."""
        fields = {str(k): str(v) for k, v in fields.items()}
        skip = None if self.ops.enabled else "OPS_WEBHOOK_URL unset: logged only"
        booking_id = fields.get("booking_id") if fields.get("booking_id") not in (None, "-") else None
        message = {"kind": kind, "text": text, "fields": fields}
        result = self._record(NewNotification(key, "ops", kind, "ops", message, booking_id, skip))
        if result.outcome != "exists":
            log.warning("ops.alert", kind=kind, text=text, fields=fields)
        return result

    def _record(self, new: NewNotification) -> Recorded:
        return self._note(notifications.record(self.sessions, self.event_id, new, now=self.clock()))

    def _note(self, result: Recorded) -> Recorded:
        if result.outcome != "exists" and result.status == "pending":
            self.recorded.append(result.id)
        return result


def notice_outcome(result: Recorded, what: str) -> Succeeded | Skipped:
    """The outcome of a flow whose work is one notice: recorded (or re-armed), or there already."""
    if result.outcome == "exists":
        return Skipped(f"{what} already recorded (event {result.event_id})")
    if result.status == "skipped":
        return Succeeded(f"{what} not sent: email off or no recipient")
    return Succeeded(f"{what} recorded for delivery" + (" again" if result.outcome == "rearmed" else ""))
