"""Hosts: set one up on the default Meetings link (idempotently), and list hosts with links and calendars."""

from __future__ import annotations

from dataclasses import dataclass, field

from processor.meetings_admin.errors import AdminError, NotFoundError
from processor.meetings_admin.services import default_service, meetings_services, update_service
from processor.wix import WixClient, WixPermissionError
from processor.wix.calendars import CalendarConnection
from processor.wix.services import Service
from processor.wix.wire import JsonDict


@dataclass(frozen=True)
class HostSetup:
    """A host after setup: who, on which link, and what this run changed (empty: nothing)."""

    staff_member_id: str
    resource_id: str | None
    name: str | None
    email: str
    service_id: str
    service_name: str | None
    booking_page_url: str | None
    duration_minutes: int | None
    changes: list[str] = field(default_factory=list)


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


def setup_host(wix: WixClient, *, email: str, name: str, duration: int | None = None) -> HostSetup:
    """Provision Meetings if needed, create and connect the host, put them on the default link."""
    changes: list[str] = []
    contributor = next(
        (c for c in wix.contributors.query() if (c.email or "").lower() == email.strip().lower()), None
    )
    if contributor is None:
        raise NotFoundError(
            f"no site collaborator with email {email}: invite them to the site (Roles & Permissions) first"
        )
    service = default_service(meetings_services(wix))
    if service is None:
        provisioned = wix.meetings.provision()
        changes.append("provisioned Wix Meetings on the site")
        service = default_service(meetings_services(wix))
        if service is None and provisioned.service_id:
            service = wix.services.get(provisioned.service_id)
        if service is None:
            raise AdminError("Wix Meetings was provisioned but no Meetings service shows up yet; retry")

    member = wix.staff.find_by_email(email)
    if member is None:
        member = wix.staff.create(name, email)
        changes.append(f"created staff member {member.id}")
    if member.connection_status != "CONNECTED":
        member = wix.staff.connect_to_user(member.id, email)
        changes.append(f"connected the staff member to the Wix user {email} (Wix emails them)")
    resource_id = member.resource_id
    link_notes: list[str] = []

    def link_changes(current: Service) -> JsonDict | None:
        wanted: JsonDict = {}
        link_notes.clear()
        if duration is not None and current.session_durations != (duration,):
            schedule = dict(current.raw.get("schedule") or {})
            constraints = dict(schedule.get("availabilityConstraints") or {})
            constraints["sessionDurations"] = [duration]
            wanted["schedule"] = {**schedule, "availabilityConstraints": constraints}
            link_notes.append(f"link {current.id}: meetings now last {duration} minutes")
        if resource_id and resource_id not in current.staff_member_ids:
            wanted["staffMemberIds"] = [*current.staff_member_ids, resource_id]
            link_notes.append(f"link {current.id}: added the host to the link")
        return wanted or None

    updated = update_service(wix, service.id, link_changes)
    if updated is not None:
        service = updated
        changes.extend(link_notes)
    return HostSetup(
        staff_member_id=member.id,
        resource_id=resource_id,
        name=member.name,
        email=email,
        service_id=service.id,
        service_name=service.name,
        booking_page_url=service.booking_page_url,
        duration_minutes=service.session_durations[0] if service.session_durations else None,
        changes=changes,
    )


def list_hosts(wix: WixClient) -> list[HostSummary]:
    """Every staff member with their Meetings links and calendar connections."""
    members = wix.staff.query()
    services = meetings_services(wix)
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
