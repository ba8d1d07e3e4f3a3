"""Hosts (staff members): find one by email or schedule, list them with their links and calendars."""

from __future__ import annotations

from dataclasses import dataclass

from processor.meetings.errors import NotFoundError
from processor.wix import WixClient, WixPermissionError
from processor.wix.calendars import CalendarConnection
from processor.wix.staff import StaffMember


@dataclass(frozen=True)
class HostLink:
    """One of a host's scheduling links."""

    service_id: str
    name: str | None
    booking_page_url: str | None
    active: bool


@dataclass(frozen=True)
class HostCalendar:
    """One of a host's external calendar connections."""

    connection_id: str
    calendar_type: str | None
    status: str | None
    error_reason: str | None
    account_email: str | None
    import_enabled: bool
    export_enabled: bool

    @classmethod
    def from_connection(cls, c: CalendarConnection) -> HostCalendar:
        return cls(
            c.id,
            c.calendar_type,
            c.status,
            c.error_reason,
            c.external_account_email,
            c.import_enabled,
            c.export_enabled,
        )


@dataclass(frozen=True)
class HostSummary:
    """A host with their links and calendar connections; `calendar_note` when Wix would not say."""

    staff_member_id: str
    name: str | None
    email: str | None
    resource_id: str | None
    schedule_id: str | None
    connected_to_user: bool
    links: list[HostLink]
    calendars: list[HostCalendar]
    calendar_note: str | None = None


def list_hosts(wix: WixClient) -> list[HostSummary]:
    """Every staff member with their Meetings links and calendar connections."""
    members = wix.staff.query()
    services = wix.services.query_meetings()
    schedule_ids = [m.events_schedule_id for m in members if m.events_schedule_id]
    connections: list[CalendarConnection] = []
    note = None
    if schedule_ids:
        try:
            listed = wix.calendars.list_connections(schedule_ids)
            connections = list(listed.connections)
            if listed.failed_provider_ids:
                note = "some calendar providers did not answer; statuses may be missing"
        except WixPermissionError as exc:
            note = f"calendar status unavailable: {exc.code or exc.message}"
    return [
        HostSummary(
            staff_member_id=m.id,
            name=m.name,
            email=m.email,
            resource_id=m.resource_id,
            schedule_id=m.events_schedule_id,
            connected_to_user=m.connection_status == "CONNECTED",
            links=[
                HostLink(s.id, s.name, s.booking_page_url, s.online_booking_enabled)
                for s in services
                if m.resource_id in s.staff_member_ids or m.id in s.staff_member_ids
            ],
            calendars=[
                HostCalendar.from_connection(c)
                for c in connections
                if c.schedule_id and c.schedule_id == m.events_schedule_id
            ],
            calendar_note=note,
        )
        for m in members
    ]


def find_host(wix: WixClient, email: str) -> StaffMember:
    """The staff member (host) with this email; NotFoundError when none."""
    member = wix.staff.find_by_email(email)
    if member is None:
        raise NotFoundError(f"no host with email {email}; set one up with `wix-meetings hosts setup`")
    return member


def host_for_schedule(wix: WixClient, schedule_id: str) -> StaffMember | None:
    """The staff member whose events schedule is `schedule_id` (a calendar connection's)."""
    return wix.staff.find_by_schedule_id(schedule_id)
