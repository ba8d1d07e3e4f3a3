"""Events put straight into a store at a chosen status and age, with an attempt and a notification."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from processor.store import inbox, notifications
from processor.store.db import Sessions, utcnow
from processor.store.models import Attempt, Event
from processor.store.notifications import NewNotification
from processor.wix_event import WixEvent

CUSTOMER = {"contactId": "c-1", "firstName": "Lee", "lastName": "Park", "email": "lee@example.com"}


def booking_payload(booking_id: str) -> dict[str, Any]:
    """A canceled booking's envelope as the store keeps it (layer 3 parsed)."""
    return {
        "eventType": "wix.bookings.v2.booking_canceled",
        "instanceId": "site",
        "data": {
            "id": f"w-{booking_id}",
            "entityId": booking_id,
            "actionEvent": {
                "body": {
                    "booking": {
                        "id": booking_id,
                        "status": "CANCELED",
                        "paymentStatus": "PAID",
                        "contactDetails": {**CUSTOMER, "phone": "+33 6 12 34 56 78"},
                        "additionalFields": [{"id": "f-1", "label": "Notes", "value": "call me, Lee"}],
                        "totalPrice": {"value": "50.00", "currency": "USD"},
                    }
                }
            },
        },
    }


def store_event(sessions: Sessions, name: str, status: str, age_days: float) -> int:
    """An event in `status`, received `age_days` ago, with one attempt and one notification."""
    received = utcnow() - timedelta(days=age_days)
    event = WixEvent(
        f"w-{name}", "wix.bookings.v2.booking_canceled", "site", name, None, None, booking_payload(name)
    )
    with sessions() as session:
        event_id, _ = inbox.record_received(session, event, now=received)
        session.execute(update(Event).where(Event.id == event_id).values(status=status))
        session.add(Attempt(event_id=event_id, number=1, started_at=received, outcome=status))
        session.commit()
    message = {"to": "lee@example.com", "subject": "Your meeting with Lee"}
    notifications.record(
        sessions,
        event_id,
        NewNotification(f"email:{name}:x", "email", "x", "customer", message, name),
        now=received,
    )
    return event_id
