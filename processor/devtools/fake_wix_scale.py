"""Seeding a realistic day at scale: provisioned sites, paid bookings and their changes, broken calendars.

Every booking change goes through the fake's own route handler (so revisions bump as Wix bumps them)
and returns a `WebhookEvent`: the body Wix would put in the webhook, ready to sign with the dev key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from processor.devtools import fake_wix_bookings
from processor.devtools.fake_wix_bookings import ACTIVE, default_start
from processor.devtools.fake_wix_calendars import GOOGLE_PROVIDER_ID, default_sync_config
from processor.devtools.fake_wix_catalog import provision
from processor.devtools.fake_wix_core import (
    MEETINGS_APP_ID,
    FakeRequest,
    JsonDict,
    json_copy,
    new_id,
    to_wix_time,
)
from processor.devtools.fake_wix_seed import FakeWixSeeding, fixed_payment
from processor.devtools.signing import domain_event, envelope, sign

BOOKING_EVENT = "wix.bookings.v2.booking_"
DEFAULT_PRICE = "50.00"


@dataclass(frozen=True)
class WebhookEvent:
    """One webhook Wix would send for a change: `body` is the entity (or action body) it carries."""

    event_type: str
    instance_id: str
    body: JsonDict
    entity_id: str | None = None  # None: an app-instance event (AppInstalled, AppRemoved), bare data
    sequence: int | None = None
    event_id: str = field(default_factory=new_id)  # fixed, so signing twice is a redelivery
    event_time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def layer3(self) -> JsonDict:
        """The event as `envelope()["data"]` carries it, through the dev signing code."""
        if self.entity_id is None:
            return self.body
        return domain_event(
            self.event_type,
            entity_id=self.entity_id,
            body=self.body,
            event_id=self.event_id,
            sequence=self.sequence,
            event_time=self.event_time,
        )

    def sign(self, private_key_pem: str, **kwargs: Any) -> str:
        """The webhook body (a JWT), signed RS256; kwargs go to `signing.sign`."""
        return sign(
            envelope(self.event_type, self.layer3(), instance_id=self.instance_id), private_key_pem, **kwargs
        )


@dataclass(frozen=True)
class SeededHost:
    """A host as `seed_site` made it: staff member, schedule, own paid Meetings link, calendar."""

    staff_member_id: str
    resource_id: str
    schedule_id: str
    email: str
    service_id: str
    connection_id: str | None


@dataclass(frozen=True)
class SeededSite:
    instance_id: str
    site_id: str
    hosts: tuple[SeededHost, ...]


class DaySeeding(FakeWixSeeding):
    """Scale helpers of a fake site (and of FakeWix, for its default site)."""

    @property
    def instance_id(self) -> str:
        raise NotImplementedError

    def seed_site(
        self, *, hosts: int = 1, price: str | Decimal = DEFAULT_PRICE, connection: bool = True
    ) -> SeededSite:
        """Provision Meetings; each host gets a paid link of its own (the first: the default one)
        and, with `connection`, a synced Google calendar."""
        seeded = []
        for number in range(1, hosts + 1):
            email = f"host{number}-{self.instance_id[:8]}@example.com"
            host = self.add_staff_member(f"Host {number}", email)
            self.add_contributor(email, name=f"Host {number}", role="co-owner")
            schedule_id = host["resource"]["eventsSchedule"]["id"]
            if number == 1:
                with self.lock:
                    service = self.state.services[provision(self.state)["serviceId"]]
                    service["staffMemberIds"] = [host["resourceId"]]
                    service["payment"] = fixed_payment(price, self.state.currency)
                    service_id = service["id"]
            else:
                name = f"Meeting with Host {number}"
                service_id = self.add_service(name, staff_member_ids=[host["resourceId"]], price=price)["id"]
            connection_id = None
            if connection:
                made = self.add_connection(
                    schedule_id,
                    provider_id=GOOGLE_PROVIDER_ID,
                    email=email,
                    sync_config=default_sync_config(),
                )
                connection_id = made["id"]
            seeded.append(
                SeededHost(host["id"], host["resourceId"], schedule_id, email, service_id, connection_id)
            )
        return SeededSite(self.instance_id, self.state.site_id, tuple(seeded))

    def book_paid(
        self,
        service_id: str | None = None,
        *,
        start: datetime | None = None,
        amount: str | Decimal | None = None,
        status: str = "CONFIRMED",
        contact_email: str = "lee@example.com",
    ) -> WebhookEvent:
        """A booking paid online (order + payment), at `start` or the service's next free slot
        from a week ahead; `amount` defaults to the service's price. Returns its `booking_created`."""
        with self.lock:
            service = self._paid_service(service_id)
            fixed = ((service.get("payment") or {}).get("fixed") or {}).get("price") or {}
            minutes = int(service["schedule"]["availabilityConstraints"]["sessionDurations"][0])
            start = self._free_start(service["id"], start or default_start(), timedelta(minutes=minutes))
            booking = self.add_booking(
                service["id"],
                start=start,
                duration_minutes=minutes,
                status=status,
                paid=amount if amount is not None else fixed.get("value", DEFAULT_PRICE),
                contact_email=contact_email,
            )
        return self._event("created", booking, booking)  # add_booking returned a copy

    def confirm_booking(self, booking_id: str) -> WebhookEvent:
        """CREATED/PENDING → CONFIRMED (revision + 1); returns its `booking_confirmed`."""
        return self._change(
            booking_id,
            "confirm",
            {},
            "confirmed",
            lambda before: {
                "participantNotification": {"notifyParticipants": True},
                "sendSmsReminder": False,
                "doubleBooked": False,
                "initiatedBy": {"appId": MEETINGS_APP_ID},
                "previousStatus": before["status"],
                "previousPaymentStatus": before.get("paymentStatus"),
            },
        )

    def cancel_booking(self, booking_id: str) -> WebhookEvent:
        """Cancel as the customer would (revision + 1); returns its `booking_canceled`."""
        return self._change(
            booking_id,
            "cancel",
            {"participantNotification": {"notifyParticipants": True}},
            "canceled",
            lambda before: {
                "participantNotification": {"notifyParticipants": True},
                "flowControlSettings": {"withRefund": False},
                "initiatedBy": {"anonymousVisitorId": new_id(), "contactId": _contact_id(before)},
                "previousStatus": before["status"],
            },
        )

    def reschedule_booking(self, booking_id: str, start: datetime | None = None) -> WebhookEvent:
        """Move to `start` (default: the service's next free slot after it), same length, revision + 1;
        returns its `booking_rescheduled`."""
        with self.lock:
            booking = self.state.bookings[booking_id]
            old_start = datetime.fromisoformat(booking["startDate"].replace("Z", "+00:00"))
            length = datetime.fromisoformat(booking["endDate"].replace("Z", "+00:00")) - old_start
            service_id = booking["bookedEntity"]["slot"]["serviceId"]
            start = start or self._free_start(service_id, old_start + length, length)
        slot = {"startDate": to_wix_time(start), "endDate": to_wix_time(start + length)}
        return self._change(
            booking_id,
            "reschedule",
            {"slot": slot},
            "rescheduled",
            lambda before: {
                "participantNotification": {"notifyParticipants": True},
                "flowControlSettings": {"ignoreReschedulePolicy": False, "skipAvailabilityValidation": False},
                "initiatedBy": {"anonymousVisitorId": new_id(), "contactId": _contact_id(before)},
                "previousStatus": before["status"],
                "previousBookedEntity": before["bookedEntity"],
                "previousStartDate": before["startDate"],
                "previousEndDate": before["endDate"],
                "previousTotalParticipants": before.get("totalParticipants", 1),
            },
        )

    def break_connection(self, connection_id: str, error_reason: str | None = "TOKEN_REVOKED") -> JsonDict:
        """The host's calendar fails: ERROR with `error_reason`, or DISCONNECTED when it is None.

        Returns the connection as Get Connection answers (Wix sends no webhook for connections).
        """
        status = "ERROR" if error_reason else "DISCONNECTED"
        self.set_connection_status(connection_id, status, error_reason)
        with self.lock:
            return json_copy(self.state.connections[connection_id])

    def recover_connection(self, connection_id: str, status: str = "SYNCED") -> JsonDict:
        """The calendar works again; returns the connection."""
        self.set_connection_status(connection_id, status)
        with self.lock:
            return json_copy(self.state.connections[connection_id])

    # -- internals -------------------------------------------------------------------------------

    def _change(
        self,
        booking_id: str,
        action: str,
        request: JsonDict,
        slug: str,
        extras: Callable[[JsonDict], JsonDict],
    ) -> WebhookEvent:
        with self.lock:
            booking = self.state.bookings.get(booking_id)
            before = json_copy(booking) if booking is not None else {}
            body = {**request, "revision": before.get("revision")}
            path = f"/_api/bookings-service/v2/bookings/{booking_id}/{action}"
            handler = getattr(fake_wix_bookings, f"{action}_booking")
            changed = handler(self.state, FakeRequest("POST", path, {}, body, ""), booking_id)["booking"]
            return self._event(slug, changed, json_copy({"booking": changed, **extras(before)}))

    def _event(self, slug: str, booking: JsonDict, body: JsonDict) -> WebhookEvent:
        """The webhook of a change; `body` must be a copy, not the stored entity."""
        return WebhookEvent(
            BOOKING_EVENT + slug,
            self.instance_id,
            body,
            entity_id=booking["id"],
            sequence=int(booking["revision"]),
        )

    def _paid_service(self, service_id: str | None) -> JsonDict:
        if service_id is not None:
            return self.state.services[service_id]
        meetings = [s for s in self.state.services.values() if s.get("appId") == MEETINGS_APP_ID]
        paid = [s for s in meetings if s.get("payment")]
        if not (paid or meetings):
            raise LookupError("no Meetings service on this site: seed_site() first")
        return (paid or meetings)[0]

    def _free_start(self, service_id: str, start: datetime, length: timedelta) -> datetime:
        """The first start from `start`, in steps of `length`, free of the service's active bookings."""
        taken = sorted(
            (b["startDate"], b["endDate"])
            for b in self.state.bookings.values()
            if b["status"] in ACTIVE and b["bookedEntity"]["slot"].get("serviceId") == service_id
        )
        for taken_start, taken_end in taken:  # by start: one pass, the cursor only moves forward
            if to_wix_time(start + length) <= taken_start:
                break
            while to_wix_time(start) < taken_end:
                start += length
        return start


def _contact_id(booking: JsonDict) -> str | None:
    contact = booking.get("contactDetails") or {}
    return contact.get("contactId")
