"""Fake Wix: services, Meetings provisioning, staff members and site contributors."""

from __future__ import annotations

import re
from typing import Any

from processor.devtools.fake_wix_calendar_store import business_schedule
from processor.devtools.fake_wix_core import (
    BOOKINGS_APP_ID,
    MEETINGS_APP_ID,
    FakeRequest,
    FakeState,
    FakeWixError,
    JsonDict,
    RouteTable,
    bump_revision,
    check_revision,
    invalid_field,
    matches,
    new_id,
    now_iso,
)

routes = RouteTable()
SERVICE = r"(?:/_api)?/bookings/v2/services"
STAFF = "/bookings/v1/staff-members"
DEFAULT_POLICY = {"enabled": True, "limitLatestCancellation": True, "latestCancellationInMinutes": 1440}


def build_service(state: FakeState, service: JsonDict) -> JsonDict:
    """A stored service from a create body: ids, revision 1, slug, booking page URL, defaults."""
    stored: JsonDict = {
        "type": "APPOINTMENT",
        "appId": BOOKINGS_APP_ID,
        "onlineBooking": {"enabled": True, "requireManualApproval": False, "allowMultipleRequests": False},
        "payment": None,
        "staffMemberIds": [],
        "locations": [{"type": "BUSINESS"}],
        **service,
    }
    stored.setdefault("id", new_id())
    schedule = stored.setdefault("schedule", {})
    schedule.setdefault("id", new_id())
    schedule.setdefault("availabilityConstraints", {"sessionDurations": [30], "timeBetweenSessions": 0})
    stored.setdefault("form", {"id": new_id()})
    policy = stored.setdefault("bookingPolicy", {"id": new_id()})
    policy.setdefault("cancellationPolicy", dict(DEFAULT_POLICY))
    slug = re.sub(r"[^a-z0-9]+", "-", str(stored.get("name") or "meeting").lower()).strip("-")
    stored.setdefault("mainSlug", {"name": slug, "custom": False, "createdDate": now_iso()})
    _set_urls(state, stored)
    stored["createdByAppId"] = stored["appId"]
    stored["revision"] = "1"
    stored["createdDate"] = stored["updatedDate"] = now_iso()
    state.services[stored["id"]] = stored
    return stored


def build_staff_member(
    state: FakeState,
    name: str,
    email: str,
    *,
    staff_id: str | None = None,
    resource_id: str | None = None,
    schedule_id: str | None = None,
    wix_user_id: str | None = None,
    connected: bool = False,
) -> JsonDict:
    """A stored staff member with a resource and an events schedule, on the business hours.

    Like Wix, a new staff member lists the shared business working-hours schedule and
    `usesDefaultWorkingHours: true` (Wix API assumptions #29, #30) until assigned their own.
    """
    resource_id = resource_id or new_id()
    business_id = business_schedule(state)["id"]
    member: JsonDict = {
        "id": staff_id or new_id(),
        "name": name,
        "email": email,
        "resourceId": resource_id,
        "resource": {
            "id": resource_id,
            "workingHoursSchedules": [{"id": business_id, "shared": True}],
            "eventsSchedule": {"id": schedule_id or new_id()},
            "usesDefaultWorkingHours": True,
        },
        "associatedWixIdentity": {
            "identificationData": {"wixUserId": wix_user_id},
            "connection": {"status": "CONNECTED" if connected else "DISCONNECTED"},
        },
        "revision": "1",
        "createdDate": now_iso(),
        "updatedDate": now_iso(),
    }
    state.staff[member["id"]] = member
    return member


def provision(state: FakeState) -> JsonDict:
    """Create the Meetings default service, policy, schedule and form once; later calls find them."""
    if state.provisioned is None or state.provisioned["serviceId"] not in state.services:
        service = build_service(
            state,
            {
                "name": "Meeting",
                "appId": MEETINGS_APP_ID,
                "form": {"id": new_id()},
                "bookingPolicy": {"id": new_id(), "cancellationPolicy": dict(DEFAULT_POLICY)},
            },
        )
        state.provisioned = {
            "serviceId": service["id"],
            "bookingFormId": service["form"]["id"],
            "bookingPolicyId": service["bookingPolicy"]["id"],
        }
    return state.provisioned


def _set_urls(state: FakeState, service: JsonDict) -> None:
    slug = service["mainSlug"]["name"]
    base = f"https://fake-site-{state.site_id[:8]}.wixsite.com/site"
    service["urls"] = {
        name: {"relativePath": f"/{kind}/{slug}", "url": f"{base}/{kind}/{slug}"}
        for name, kind in (
            ("servicePage", "service-page"),
            ("bookingPage", "booking-calendar"),
            ("calendarPage", "booking-calendar"),
        )
    }


def _validate_payment(state: FakeState, payment: Any) -> None:
    if not isinstance(payment, dict):
        return
    options = payment.get("options") or {}
    if not (options.get("online") or options.get("inPerson")):
        raise FakeWixError(400, "online or inPerson must be true", code="INVALID_PAYMENT_OPTIONS")
    fixed = payment.get("fixed") or {}
    if options.get("deposit") and not (fixed.get("deposit") or {}).get("value"):
        raise invalid_field("service.payment.fixed.deposit", "deposit amount is required")
    for money in (fixed.get("price"), fixed.get("deposit")):
        if isinstance(money, dict):
            if not re.fullmatch(r"\d+(\.\d{1,2})?", str(money.get("value", ""))):
                raise invalid_field("service.payment.fixed.price.value", "invalid amount")
            money["currency"] = state.currency  # read-only: the site's currency


def _service_or_404(state: FakeState, service_id: str) -> JsonDict:
    if service_id not in state.services:
        raise FakeWixError(404, f"service {service_id} not found", code="SERVICE_NOT_FOUND")
    return state.services[service_id]


@routes.add("POST", f"{SERVICE}/query")
def query_services(state: FakeState, req: FakeRequest) -> JsonDict:
    query = req.body.get("query") or {}
    paging = query.get("paging") or {}
    limit, offset = min(int(paging.get("limit") or 100), 100), int(paging.get("offset") or 0)
    found = [s for s in state.services.values() if matches(s, query.get("filter"))]
    page = found[offset : offset + limit]
    metadata = {"count": len(page), "offset": offset, "total": len(found), "tooManyToCount": False}
    return {"services": page, "pagingMetadata": metadata}


@routes.add("GET", f"{SERVICE}/(?P<service_id>[^/:]+)")
def get_service(state: FakeState, req: FakeRequest, service_id: str) -> JsonDict:
    return {"service": _service_or_404(state, service_id)}


@routes.add("POST", SERVICE)
def create_service(state: FakeState, req: FakeRequest) -> JsonDict:
    service = req.body.get("service")
    if not isinstance(service, dict) or not service.get("name"):
        raise invalid_field("service.name", "must not be empty")
    if service.get("type", "APPOINTMENT") == "APPOINTMENT" and not service.get("staffMemberIds"):
        raise invalid_field("service.staffMemberIds", "appointments need at least one staff member")
    _validate_payment(state, service.get("payment"))
    return {"service": build_service(state, {k: v for k, v in service.items() if k != "id"})}


@routes.add("PATCH", f"{SERVICE}/(?P<service_id>[^/:]+)")
def update_service(state: FakeState, req: FakeRequest, service_id: str) -> JsonDict:
    service = _service_or_404(state, service_id)
    changes = dict(req.body.get("service") or {})
    check_revision(service, changes.pop("revision", None), "service.revision")
    _validate_payment(state, changes.get("payment"))
    for read_only in ("id", "appId", "createdDate", "updatedDate", "urls", "createdByAppId"):
        changes.pop(read_only, None)
    service.update(changes)  # touched top-level objects are replaced whole (assumption #19)
    _set_urls(state, service)
    bump_revision(service)
    return {"service": service}


@routes.add("POST", "/meetings/v1/provision-meetings-app")
def provision_meetings_app(state: FakeState, req: FakeRequest) -> JsonDict:
    return {"provisioning": dict(provision(state))}


def _staff_view(member: JsonDict, fields: Any) -> JsonDict:
    wanted = fields if isinstance(fields, list) else [fields]
    if "RESOURCE_DETAILS" in wanted:
        return member
    return {k: v for k, v in member.items() if k != "resource"}


def _staff_or_404(state: FakeState, staff_id: str) -> JsonDict:
    if staff_id not in state.staff:
        raise FakeWixError(404, f"staff member {staff_id} not found", code="STAFF_MEMBER_NOT_FOUND")
    return state.staff[staff_id]


@routes.add("POST", STAFF)
def create_staff_member(state: FakeState, req: FakeRequest) -> JsonDict:
    member = req.body.get("staffMember") or {}
    if not member.get("name"):
        raise invalid_field("staffMember.name", "must not be empty")
    stored = build_staff_member(state, member["name"], member.get("email") or "")
    return {"staffMember": _staff_view(stored, req.body.get("fields"))}


@routes.add("POST", f"{STAFF}/query")
def query_staff_members(state: FakeState, req: FakeRequest) -> JsonDict:
    query_filter = (req.body.get("query") or {}).get("filter")
    found = [_staff_view(m, req.body.get("fields")) for m in state.staff.values() if matches(m, query_filter)]
    return {"staffMembers": found, "pagingMetadata": {"count": len(found), "offset": 0}}


@routes.add("GET", f"{STAFF}/(?P<staff_id>[^/]+)")
def get_staff_member(state: FakeState, req: FakeRequest, staff_id: str) -> JsonDict:
    return {"staffMember": _staff_view(_staff_or_404(state, staff_id), req.query.get("fields", []))}


@routes.add("POST", f"{STAFF}/(?P<staff_id>[^/]+)/connect-staff-member-to-user")
def connect_staff_member_to_user(state: FakeState, req: FakeRequest, staff_id: str) -> JsonDict:
    member = _staff_or_404(state, staff_id)
    email = (req.body.get("email") or member.get("email") or "").lower()
    contributor = next((c for c in state.contributors if c["invitedEmail"].lower() == email), None)
    identity = member["associatedWixIdentity"]
    if contributor is not None:  # otherwise Wix invites the user; still disconnected
        identity["identificationData"] = {"wixUserId": contributor["id"]}
        identity["connection"] = {"status": "CONNECTED"}
    bump_revision(member)
    return {"staffMember": _staff_view(member, req.body.get("fields"))}


@routes.add("POST", f"{STAFF}/get-or-create/wix-user-id/(?P<wix_user_id>[^/]+)")
def get_or_create_by_wix_user(state: FakeState, req: FakeRequest, wix_user_id: str) -> JsonDict:
    for member in state.staff.values():
        if member["associatedWixIdentity"]["identificationData"].get("wixUserId") == wix_user_id:
            return {"staffMember": _staff_view(member, req.body.get("fields"))}
    contributor = next((c for c in state.contributors if c["id"] == wix_user_id), None)
    if contributor is None:
        raise FakeWixError(404, f"no Wix user {wix_user_id} on this site", code="USER_NOT_FOUND")
    name = contributor["metaData"].get("name") or contributor["invitedEmail"]
    member = build_staff_member(
        state, name, contributor["invitedEmail"], wix_user_id=wix_user_id, connected=True
    )
    return {"staffMember": _staff_view(member, req.body.get("fields"))}


@routes.add("GET", "/roles-management/v2/contributors/query")
def query_contributors(state: FakeState, req: FakeRequest) -> JsonDict:
    wanted = set(req.query.get("policyIds", []))
    found = [c for c in state.contributors if not wanted or wanted & set(c["policyIds"])]
    return {"contributors": found}
