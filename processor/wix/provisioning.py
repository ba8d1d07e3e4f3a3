"""Provision Meetings App: installs Meetings and its default service, form, policy and schedule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict

PROVISION_PATH = "/meetings/v1/provision-meetings-app"


def find_provisioned(body: JsonDict) -> JsonDict:
    """The object carrying `serviceId`: top level or one level down (Wix API assumption #13)."""
    if "serviceId" in body:
        return body
    for value in body.values():
        if isinstance(value, dict) and "serviceId" in value:
            return value
    return {}


@dataclass(frozen=True)
class MeetingsProvisioning:
    """What provisioning created (or found); ids may be None when Wix's answer has no wrapper we know."""

    service_id: str | None
    booking_form_id: str | None
    booking_policy_id: str | None
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> MeetingsProvisioning:
        found: dict[str, Any] = find_provisioned(raw)
        return cls(
            service_id=found.get("serviceId"),
            booking_form_id=found.get("bookingFormId"),
            booking_policy_id=found.get("bookingPolicyId"),
            raw=raw,
        )


class ProvisioningApi:
    """The Meetings provisioning call; idempotent, so safe to repeat."""

    def __init__(self, transport: WixTransport) -> None:
        self._transport = transport

    def provision(self) -> MeetingsProvisioning:
        """Install Meetings on the site if missing; query services by appId next for details."""
        return MeetingsProvisioning.from_wire(self._transport.call("POST", PROVISION_PATH, json={}))
