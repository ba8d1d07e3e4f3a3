"""Build Wix-format webhook tokens: the three nested layers, signed RS256 (as Wix does)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt

MEETINGS_APP_ID = "6646a75c-2027-4f49-976c-58f3d713ed0f"
DEV_INSTANCE_ID = "a41f2c9e-7b3d-4e6a-8c15-2d9f0b7e6a34"
DEFAULT_LIFETIME_SECONDS = 300


def domain_event(
    event_type: str,
    *,
    entity_id: str | None = None,
    body: dict[str, Any] | None = None,
    event_id: str | None = None,
    sequence: int | None = None,
    event_time: datetime | None = None,
) -> dict[str, Any]:
    """Layer 3 of a domain event; the body goes where Wix puts it for this kind of event."""
    fqdn, _, slug = event_type.rpartition("_")
    entity_id = entity_id or str(uuid.uuid4())
    data: dict[str, Any] = {
        "id": event_id or str(uuid.uuid4()),
        "entityFqdn": fqdn,
        "slug": slug,
        "entityId": entity_id,
        "eventTime": (event_time or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f000Z"),
        "triggeredByAnonymizeRequest": False,
    }
    if sequence is not None:
        data["entityEventSequence"] = str(sequence)
    body = body if body is not None else {}
    if slug == "created":
        data["createdEvent"] = {"entity": body}
    elif slug == "updated":
        data["updatedEvent"] = {"currentEntity": body}
    elif slug == "deleted":
        data["deletedEvent"] = {"deletedEntity": body}
    else:
        data["actionEvent"] = {"body": body}
    return data


def envelope(
    event_type: str,
    data: dict[str, Any],
    *,
    instance_id: str = DEV_INSTANCE_ID,
    identity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Layer 2: eventType, instanceId, and layer 3 as a JSON string."""
    env: dict[str, Any] = {"eventType": event_type, "instanceId": instance_id, "data": json.dumps(data)}
    if identity is not None:
        env["identity"] = json.dumps(identity)
    return env


def sign(
    layer2: dict[str, Any],
    private_key_pem: str,
    *,
    algorithm: str = "RS256",
    lifetime_seconds: int | None = DEFAULT_LIFETIME_SECONDS,
    issued_at: int | None = None,
    extra_claims: dict[str, Any] | None = None,
) -> str:
    """Layer 1: claims {data: layer 2 as a string, iat, exp}, signed. `lifetime_seconds=None`: no exp."""
    now = issued_at if issued_at is not None else int(time.time())
    claims: dict[str, Any] = {"data": json.dumps(layer2), "iat": now}
    if lifetime_seconds is not None:
        claims["exp"] = now + lifetime_seconds
    claims.update(extra_claims or {})
    return jwt.encode(claims, private_key_pem, algorithm=algorithm)


def sample_body(event_type: str, entity_id: str) -> dict[str, Any]:
    """A plausible body for `dev send` when no --data file is given."""
    if event_type.startswith("wix.bookings.v2.booking_"):
        status = "CANCELED" if event_type.endswith("canceled") else "CONFIRMED"
        return {
            "booking": {
                "id": entity_id,
                "revision": "2",
                "appId": MEETINGS_APP_ID,
                "status": status,
                "paymentStatus": "PAID",
                "selectedPaymentOption": "ONLINE",
                "startDate": "2030-03-10T14:00:00.000Z",
                "endDate": "2030-03-10T14:30:00.000Z",
                "bookedEntity": {
                    "slot": {
                        "serviceId": str(uuid.uuid5(uuid.NAMESPACE_URL, "dev-service")),
                        "timezone": "Europe/Paris",
                        "resource": {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, "dev-host"))},
                    }
                },
            },
            "previousStatus": "CONFIRMED",
        }
    return {"id": entity_id}


def build_token(
    event_type: str,
    private_key_pem: str,
    *,
    entity_id: str | None = None,
    data: dict[str, Any] | None = None,
    instance_id: str = DEV_INSTANCE_ID,
    event_id: str | None = None,
) -> str:
    """A complete signed webhook for `event_type`; `data` replaces the generated layer 3 body."""
    if event_type in ("AppInstalled", "AppRemoved"):
        layer3 = data if data is not None else {"appId": str(uuid.uuid4())}
    elif data is not None and "entityFqdn" in data:  # a whole layer 3, as given
        layer3 = data
    else:
        entity_id = entity_id or str(uuid.uuid4())
        body = data if data is not None else sample_body(event_type, entity_id)
        layer3 = domain_event(event_type, entity_id=entity_id, body=body, event_id=event_id)
    return sign(envelope(event_type, layer3, instance_id=instance_id), private_key_pem)
