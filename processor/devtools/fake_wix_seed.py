"""Seeding the fake Wix: services, hosts, bookings with paid orders, connections, contributors."""

from __future__ import annotations

import copy
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from processor.devtools.fake_wix_bookings import default_start, local_slot_time
from processor.devtools.fake_wix_calendars import GOOGLE_PROVIDER_ID, build_connection, default_sync_config
from processor.devtools.fake_wix_catalog import build_service, build_staff_member, provision
from processor.devtools.fake_wix_core import (
    MEETINGS_APP_ID,
    FakeState,
    JsonDict,
    json_copy,
    new_id,
    now_iso,
    to_wix_time,
)
from processor.devtools.fake_wix_orders import build_order, fail_refund


class FakeWixSeeding:
    """Seed helpers of FakeWix; each returns a copy of what it stored."""

    state: FakeState
    lock: threading.RLock

    def provision_meetings(self) -> JsonDict:
        """What Provision Meetings App creates: the default Meetings service (idempotent)."""
        with self.lock:
            return copy.deepcopy(self.state.services[provision(self.state)["serviceId"]])

    def add_service(
        self,
        name: str = "Intro call",
        *,
        app_id: str = MEETINGS_APP_ID,
        staff_member_ids: list[str] | None = None,
        enabled: bool = True,
        duration_minutes: int = 30,
        price: str | Decimal | None = None,
        **fields: Any,
    ) -> JsonDict:
        """A service (a Meetings link by default); `price` makes it a fixed online price."""
        service: JsonDict = {
            "name": name,
            "appId": app_id,
            "staffMemberIds": list(staff_member_ids or []),
            "onlineBooking": {
                "enabled": enabled,
                "requireManualApproval": False,
                "allowMultipleRequests": False,
            },
            "schedule": {
                "id": new_id(),
                "availabilityConstraints": {"sessionDurations": [duration_minutes], "timeBetweenSessions": 0},
            },
            **fields,
        }
        if price is not None:
            service["payment"] = fixed_payment(price, self.state.currency)
        with self.lock:
            return copy.deepcopy(build_service(self.state, service))

    def add_staff_member(
        self, name: str = "Dana Host", email: str = "dana@example.com", **kwargs: Any
    ) -> JsonDict:
        """A host with a resource id and an events schedule (kwargs: staff_id, resource_id, …)."""
        with self.lock:
            return copy.deepcopy(build_staff_member(self.state, name, email, **kwargs))

    def add_contributor(
        self,
        email: str,
        *,
        name: str | None = None,
        wix_user_id: str | None = None,
        role: str = "co-owner",
    ) -> JsonDict:
        """A site collaborator (Wix API assumption #14 for its shape)."""
        contributor = {
            "id": wix_user_id or new_id(),
            "invitedEmail": email,
            "accountOwnerId": new_id(),
            "metaData": {"name": name, "role": role},
            "policyIds": [role],
        }
        with self.lock:
            self.state.contributors.append(contributor)
            return copy.deepcopy(contributor)

    def add_booking(
        self,
        service_id: str,
        *,
        staff_member_id: str | None = None,
        start: datetime | None = None,
        duration_minutes: int = 30,
        timezone: str = "Europe/Paris",
        status: str = "CONFIRMED",
        paid: str | Decimal | None = None,
        payments: list[str | Decimal] | None = None,
        contact_email: str = "lee@example.com",
        contact_first_name: str = "Lee",
        app_id: str = MEETINGS_APP_ID,
        other_items: list[str | Decimal] | None = None,
    ) -> JsonDict:
        """A booking; `paid` (one payment) or `payments` (several) add an approved order for it, and
        `other_items` (prices) put it in a cart with other lines, paid by the first payment."""
        start = start or default_start()
        end = start + timedelta(minutes=duration_minutes)
        with self.lock:
            service = self.state.services[service_id]
            member = self.state.staff.get(staff_member_id or "") or next(
                (
                    m
                    for m in self.state.staff.values()
                    if m["resourceId"] in service.get("staffMemberIds", [])
                ),
                None,
            )
            amounts = [Decimal(str(a)) for a in (payments or ([paid] if paid is not None else []))]
            booking = _booking(service, member, start, end, timezone, status, app_id)
            booking["contactDetails"] = {
                "contactId": new_id(),
                "firstName": contact_first_name,
                "email": contact_email,
            }
            booking["paymentStatus"] = "PAID" if amounts else "NOT_PAID"
            booking["selectedPaymentOption"] = "ONLINE" if amounts else "OFFLINE"
            self.state.bookings[booking["id"]] = booking
            if amounts:
                others = [Decimal(str(a)) for a in other_items or []]
                build_order(self.state, booking, amounts, others)
            return json_copy(booking)

    def fail_refund(self, refund_id: str) -> None:
        """The refund fails at Wix after the fact: its transactions FAILED, the money refundable again."""
        with self.lock:
            fail_refund(self.state, refund_id)

    def add_connection(self, schedule_id: str, **kwargs: Any) -> JsonDict:
        """A host calendar connection (kwargs: provider_id, status, error_reason, email, sync_config,
        connection_id)."""
        with self.lock:
            return copy.deepcopy(build_connection(self.state, schedule_id, **kwargs))

    def set_connection_status(self, connection_id: str, status: str, error_reason: str | None = None) -> None:
        """What Wix would report after a revoked token, a deleted calendar or a recovery."""
        with self.lock:
            connection = self.state.connections[connection_id]
            connection["status"] = status
            connection.pop("errorReason", None)
            if error_reason:
                connection["errorReason"] = error_reason

    def remove_connection(self, connection_id: str) -> None:
        """The connection vanishes from List Connections."""
        with self.lock:
            self.state.connections.pop(connection_id, None)

    def fail_provider(self, provider_id: str, failing: bool = True) -> None:
        """List Connections reports this provider in `failedProviderIds` until cleared."""
        with self.lock:
            (self.state.failed_provider_ids.add if failing else self.state.failed_provider_ids.discard)(
                provider_id
            )

    def set_premium(self, premium: bool) -> None:
        """Without a premium plan, calendar calls answer 403 PREMIUM_FEATURE_NOT_ENABLED."""
        with self.lock:
            self.state.premium = premium

    def seed_demo(self) -> JsonDict:
        """One site: Meetings default service with a host, a paid booking, a synced Google calendar."""
        host = self.add_staff_member("Dana Host", "dana@example.com")
        self.add_contributor("dana@example.com", name="Dana Host", role="co-owner")
        with self.lock:
            service = self.state.services[provision(self.state)["serviceId"]]
            service["staffMemberIds"] = [host["resourceId"]]
            service_id = service["id"]
        booking = self.add_booking(service_id, staff_member_id=host["id"], paid="50.00")
        connection = self.add_connection(
            host["resource"]["eventsSchedule"]["id"],
            provider_id=GOOGLE_PROVIDER_ID,
            email="dana@example.com",
            sync_config=default_sync_config(),
        )
        order = next(
            o
            for o in self.state.orders.values()
            if o["lineItems"][0]["catalogReference"]["catalogItemId"] == booking["id"]
        )
        return {
            "service_id": service_id,
            "staff_member_id": host["id"],
            "resource_id": host["resourceId"],
            "schedule_id": host["resource"]["eventsSchedule"]["id"],
            "booking_id": booking["id"],
            "order_id": order["id"],
            "connection_id": connection["id"],
        }


def fixed_payment(price: str | Decimal, currency: str) -> JsonDict:
    """A service's `payment`: a fixed price, paid online at booking."""
    amount = str(Decimal(str(price)).quantize(Decimal("0.01")))
    return {
        "rateType": "FIXED",
        "fixed": {"price": {"value": amount, "currency": currency}},
        "options": {"online": True, "inPerson": False, "deposit": False},
    }


def _booking(
    service: JsonDict,
    member: JsonDict | None,
    start: datetime,
    end: datetime,
    timezone: str,
    status: str,
    app_id: str,
) -> JsonDict:
    resource = None
    if member is not None:
        resource = {
            "id": member["resourceId"],
            "name": member["name"],
            "email": member["email"],
            "scheduleId": member["resource"]["eventsSchedule"]["id"],
        }
    slot = {
        "serviceId": service["id"],
        "scheduleId": service["schedule"]["id"],
        "timezone": timezone,
        "startDate": local_slot_time(start, timezone),
        "endDate": local_slot_time(end, timezone),
        "resource": resource,
        "location": {"locationType": "OWNER_BUSINESS"},
    }
    return {
        "id": new_id(),
        "revision": "1",
        "appId": app_id,
        "status": status,
        "startDate": to_wix_time(start),
        "endDate": to_wix_time(end),
        "bookedEntity": {"slot": slot, "title": service.get("name"), "tags": ["INDIVIDUAL"]},
        "totalParticipants": 1,
        "createdDate": now_iso(),
        "updatedDate": now_iso(),
    }
