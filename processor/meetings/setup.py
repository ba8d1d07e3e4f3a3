"""Set a host up: the Meetings sample flow's set-up steps, own working hours included, idempotent."""

from __future__ import annotations

from dataclasses import dataclass, field

from processor.meetings.errors import MeetingsError, NotFoundError
from processor.meetings.hours import HostHours, set_member_hours
from processor.meetings.hours_spec import WeeklyPlan
from processor.meetings.links import default_service, update_service
from processor.wix import WixClient
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
    hours: HostHours | None = None  # set when the run was given hours


def setup_host(
    wix: WixClient,
    *,
    email: str,
    name: str,
    duration: int | None = None,
    hours: WeeklyPlan | None = None,
    time_zone: str | None = None,
) -> HostSetup:
    """Provision Meetings if needed, create and connect the host, put them on the default link.

    With `hours`, the last (optional) step of Wix's flow too: the host's own weekly hours in
    `time_zone` (`processor.meetings.hours.set_member_hours`); without, their hours are left as they are.
    """
    changes: list[str] = []
    contributor = next(
        (c for c in wix.contributors.query() if (c.email or "").lower() == email.strip().lower()), None
    )
    if contributor is None:
        raise NotFoundError(
            f"no site collaborator with email {email}: invite them to the site (Roles & Permissions) first"
        )
    service = default_service(wix.services.query_meetings())
    if service is None:
        provisioned = wix.provisioning.provision()
        changes.append("provisioned Wix Meetings on the site")
        service = default_service(wix.services.query_meetings())
        if service is None and provisioned.service_id:
            service = wix.services.get(provisioned.service_id)
        if service is None:
            raise MeetingsError("Wix Meetings was provisioned but no Meetings service shows up yet; retry")

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
    host_hours = None
    if hours is not None:
        host_hours = set_member_hours(wix, member, hours, time_zone)
        changes.extend(host_hours.changes)
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
        hours=host_hours,
    )
