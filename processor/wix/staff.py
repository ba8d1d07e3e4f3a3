"""Staff Members V1: the hosts, their resource ids and event schedules."""

from __future__ import annotations

from dataclasses import dataclass, field

from processor.wix.paths import segment
from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, as_revision, dig, read_entity, read_list

STAFF_PATH = "/bookings/v1/staff-members"
RESOURCE_DETAILS = ["RESOURCE_DETAILS"]


@dataclass(frozen=True)
class WorkingHoursSchedule:
    """One entry of `resource.workingHoursSchedules`: `shared` = the business's (or a location's) hours."""

    id: str | None
    shared: bool

    @classmethod
    def from_wire(cls, raw: JsonDict) -> WorkingHoursSchedule:
        return cls(id=raw.get("id"), shared=bool(raw.get("shared")))


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
    working_hours_schedules: tuple[WorkingHoursSchedule, ...] = ()
    uses_default_working_hours: bool = True

    @classmethod
    def from_wire(cls, raw: JsonDict) -> StaffMember:
        schedules = tuple(
            WorkingHoursSchedule.from_wire(s)
            for s in dig(raw, "resource", "workingHoursSchedules") or ()
            if isinstance(s, dict)
        )
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
            working_hours_schedules=schedules,
            uses_default_working_hours=_uses_default_working_hours(raw, schedules),
        )

    @property
    def business_working_hours_schedule_id(self) -> str | None:
        """The shared (business or location) working-hours schedule, while the host still uses it."""
        return next((s.id for s in self.working_hours_schedules if s.shared and s.id), None)

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

    def assign_working_hours_schedule(self, staff_member_id: str, schedule_id: str) -> StaffMember:
        """Point the host's working hours at a schedule (Wix API assumptions #29, #31).

        `schedule_id` is either the host's own `events_schedule_id` (custom hours: then create
        WORKING_HOURS events on it) or the business's working-hours schedule (back to business hours).
        Wix refuses any other schedule.
        """
        path = f"{STAFF_PATH}/{segment(staff_member_id, 'staff member id')}/assign-working-hours-schedule"
        body = {"scheduleId": schedule_id, "fields": RESOURCE_DETAILS}
        return _member(self._transport.call("POST", path, json=body), "Assign Working Hours Schedule")

    def use_own_working_hours(self, member: StaffMember) -> StaffMember:
        """Detach the host from the business hours onto their events schedule; no call if done already."""
        if not member.uses_default_working_hours:
            return member
        if not member.events_schedule_id:
            raise ValueError(f"staff member {member.id} has no events schedule (read with RESOURCE_DETAILS)")
        return self.assign_working_hours_schedule(member.id, member.events_schedule_id)

    def use_business_hours(self, member: StaffMember, business_schedule_id: str) -> StaffMember:
        """Put the host back on the business's working hours; no call if they use them already."""
        if member.uses_default_working_hours:
            return member
        return self.assign_working_hours_schedule(member.id, business_schedule_id)


def _uses_default_working_hours(raw: JsonDict, schedules: tuple[WorkingHoursSchedule, ...]) -> bool:
    """Wix's flag, else derived: a shared schedule, or none listed at all (assumption #30)."""
    flag = dig(raw, "resource", "usesDefaultWorkingHours")
    if isinstance(flag, bool):
        return flag
    return not schedules or any(s.shared for s in schedules)


def _member(body: JsonDict, call: str) -> StaffMember:
    return read_entity(body, "staffMember", StaffMember.from_wire, call)
