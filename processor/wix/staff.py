"""Staff Members V1: the hosts, their resource ids and event schedules."""

from __future__ import annotations

from dataclasses import dataclass, field

from processor.wix.paths import segment
from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, as_revision, dig, read_entity, read_list

STAFF_PATH = "/bookings/v1/staff-members"
RESOURCE_DETAILS = ["RESOURCE_DETAILS"]


@dataclass(frozen=True)
class StaffMember:
    """A host; `events_schedule_id` is the schedule calendar connections attach to."""

    id: str
    name: str | None
    email: str | None
    phone: str | None
    resource_id: str | None
    events_schedule_id: str | None
    connection_status: str | None
    revision: int | None
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> StaffMember:
        return cls(
            id=raw["id"],
            name=raw.get("name"),
            email=raw.get("email"),
            phone=raw.get("phone"),
            resource_id=raw.get("resourceId") or dig(raw, "resource", "id"),
            events_schedule_id=dig(raw, "resource", "eventsSchedule", "id"),
            connection_status=dig(raw, "associatedWixIdentity", "connection", "status"),
            revision=as_revision(raw.get("revision")),
            raw=raw,
        )

    def matches_resource(self, resource_id: str | None) -> bool:
        """Whether a booking's `slot.resource.id` names this host (assumption #26: either id)."""
        return resource_id is not None and resource_id in (self.resource_id, self.id)


class StaffApi:
    """Staff Members calls; every read asks for RESOURCE_DETAILS."""

    def __init__(self, transport: WixTransport) -> None:
        self._transport = transport

    def create(
        self, name: str, email: str, *, phone: str | None = None, description: str | None = None
    ) -> StaffMember:
        """Create a staff member (a host)."""
        member = {"name": name, "email": email, "phone": phone, "description": description}
        body = {
            "staffMember": {k: v for k, v in member.items() if v is not None},
            "fields": RESOURCE_DETAILS,
        }
        return _member(self._transport.call("POST", STAFF_PATH, json=body), "Create Staff Member")

    def get(self, staff_member_id: str) -> StaffMember:
        """One staff member with its resource details."""
        params = {"fields": "RESOURCE_DETAILS"}
        path = f"{STAFF_PATH}/{segment(staff_member_id, 'staff member id')}"
        return _member(self._transport.call("GET", path, params=params), "Get Staff Member")

    def query(self, query_filter: JsonDict | None = None, *, limit: int = 100) -> list[StaffMember]:
        """Staff members (Wix API assumption #25: list key `staffMembers`; filter client-side)."""
        query: JsonDict = {"paging": {"limit": limit}}
        if query_filter:
            query["filter"] = query_filter
        body = self._transport.call(
            "POST", f"{STAFF_PATH}/query", json={"query": query, "fields": RESOURCE_DETAILS}
        )
        return read_list(body, "staffMembers", StaffMember.from_wire, "Query Staff Members")

    def find_by_email(self, email: str) -> StaffMember | None:
        """The staff member with this email (case-insensitive), matched on our side."""
        wanted = email.strip().lower()
        return next((m for m in self.query() if (m.email or "").lower() == wanted), None)

    def find_by_schedule_id(self, schedule_id: str) -> StaffMember | None:
        """The host whose events schedule a calendar connection is attached to."""
        return next((m for m in self.query() if m.events_schedule_id == schedule_id), None)

    def connect_to_user(self, staff_member_id: str, email: str | None = None) -> StaffMember:
        """Link to a Wix user by email (Wix API assumption #11: `email`, not `accountOwnerId`)."""
        body: JsonDict = {"fields": RESOURCE_DETAILS}
        if email:
            body["email"] = email
        path = f"{STAFF_PATH}/{segment(staff_member_id, 'staff member id')}/connect-staff-member-to-user"
        return _member(self._transport.call("POST", path, json=body), "Connect Staff Member to User")

    def get_or_create_by_wix_user_id(self, wix_user_id: str) -> StaffMember:
        """The staff member of a Wix user (a contributor), created if missing."""
        path = f"{STAFF_PATH}/get-or-create/wix-user-id/{segment(wix_user_id, 'Wix user id')}"
        answer = self._transport.call("POST", path, json={"fields": RESOURCE_DETAILS})
        return _member(answer, "Get or Create Staff Member")


def _member(body: JsonDict, call: str) -> StaffMember:
    return read_entity(body, "staffMember", StaffMember.from_wire, call)
