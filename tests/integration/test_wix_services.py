"""Services, provisioning, staff and contributors through WixClient against the fake, over HTTP."""

from decimal import Decimal

import pytest

from processor.wix import MEETINGS_APP_ID, WixConflictError, WixNotFoundError, WixValidationError
from processor.wix.services import ServicePayment, meetings_services_filter, online_booking_changes
from processor.wix.wire import Money


@pytest.fixture
def host(fake_wix):
    return fake_wix.add_staff_member("Dana Host", "dana@example.com")


@pytest.fixture
def link(fake_wix, host):
    return fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])


def test_get_service_reads_link_fields(wix_client, link):
    service = wix_client.services.get(link["id"])

    assert service.is_meetings
    assert service.revision == 1
    assert service.online_booking_enabled is True
    assert service.booking_page_url == link["urls"]["bookingPage"]["url"]
    assert service.session_durations == (30,)


def test_query_services_filters_meetings_links_of_one_host(wix_client, fake_wix, host, link):
    fake_wix.add_service("Other app", app_id="13d21c63-b5ec-5912-8397-c3a5ddb27a97")
    fake_wix.add_service("Someone else's", staff_member_ids=["another-resource"])

    page = wix_client.services.query(meetings_services_filter(host["resourceId"]))

    assert [s.id for s in page.services] == [link["id"]]
    assert fake_wix.requests_to("/services/query")[-1].json["query"]["filter"] == {
        "appId": MEETINGS_APP_ID,
        "staffMemberIds": {"$hasSome": [host["resourceId"]]},
    }


def test_query_all_pages_by_offset(wix_client, fake_wix):
    for number in range(130):
        fake_wix.add_service(f"Link {number}", staff_member_ids=["r"])

    services = list(wix_client.services.query_all({"appId": MEETINGS_APP_ID}))

    assert len(services) == 130
    offsets = [r.json["query"]["paging"]["offset"] for r in fake_wix.requests_to("/services/query")]
    assert offsets == [0, 100]


def test_create_service_returns_the_stored_link(wix_client, host):
    service = wix_client.services.create(
        {
            "name": "Consult",
            "type": "APPOINTMENT",
            "appId": MEETINGS_APP_ID,
            "staffMemberIds": [host["resourceId"]],
        }
    )

    assert service.revision == 1
    assert service.staff_member_ids == (host["resourceId"],)


def test_create_appointment_without_staff_is_a_validation_error(wix_client):
    with pytest.raises(WixValidationError) as caught:
        wix_client.services.create({"name": "Nobody", "type": "APPOINTMENT"})

    assert caught.value.field_violations[0].field == "service.staffMemberIds"


def test_update_sends_revision_inside_service_and_bumps_it(wix_client, fake_wix, link):
    updated = wix_client.services.update(
        link["id"], 1, online_booking_changes(False, "https://example.com/away")
    )

    sent = fake_wix.requests_to(f"/services/{link['id']}", "PATCH")[-1]
    assert sent.path == f"/_api/bookings/v2/services/{link['id']}"
    assert sent.json["service"]["revision"] == "1"
    assert updated.revision == 2
    assert updated.online_booking_enabled is False
    assert updated.deactivated_redirect_url == "https://example.com/away"


def test_update_with_stale_revision_is_a_conflict(wix_client, link):
    wix_client.services.update(link["id"], 1, online_booking_changes(False))

    with pytest.raises(WixConflictError) as caught:
        wix_client.services.update(link["id"], 1, online_booking_changes(True))

    assert caught.value.status == 409


def test_update_payment_reads_back_as_decimals(wix_client, link):
    payment = ServicePayment.fixed_online(Money(Decimal("50.00")), deposit=Money(Decimal("10")))

    service = wix_client.services.update(link["id"], 1, {"payment": payment.to_wire()})

    assert service.payment.price.value == Decimal("50.00")
    assert service.payment.deposit.value == Decimal("10.00")
    assert service.payment.price.currency == "USD"  # Wix fills the site currency in
    assert service.payment.deposit_enabled


def test_payment_neither_online_nor_in_person_is_refused(wix_client, link):
    payment = ServicePayment("FIXED", Money(Decimal(50)), online=False, in_person=False)

    with pytest.raises(WixValidationError) as caught:
        wix_client.services.update(link["id"], 1, {"payment": payment.to_wire()})

    assert caught.value.code == "INVALID_PAYMENT_OPTIONS"


def test_get_missing_service_is_not_found(wix_client):
    with pytest.raises(WixNotFoundError) as caught:
        wix_client.services.get("0000")

    assert caught.value.code == "SERVICE_NOT_FOUND"


def test_provisioning_is_idempotent_and_creates_the_default_meetings_service(wix_client, fake_wix):
    first = wix_client.provisioning.provision()
    second = wix_client.provisioning.provision()

    assert first.service_id == second.service_id
    service = wix_client.services.get(first.service_id)
    assert service.is_meetings
    assert service.cancellation_policy.latest_cancellation_in_minutes == 1440
    assert service.form_id == first.booking_form_id
    assert service.booking_page_url
    assert len(fake_wix.services) == 1


def test_staff_member_create_get_and_find(wix_client):
    created = wix_client.staff.create("Sam Host", "sam@example.com")

    fetched = wix_client.staff.get(created.id)

    assert fetched.events_schedule_id
    assert fetched.resource_id
    assert wix_client.staff.find_by_email("SAM@example.com").id == created.id
    assert wix_client.staff.find_by_schedule_id(fetched.events_schedule_id).id == created.id
    assert fetched.matches_resource(created.resource_id)


def test_connect_staff_member_to_a_contributor(wix_client, fake_wix, host):
    fake_wix.add_contributor("dana@example.com", name="Dana Host")

    member = wix_client.staff.connect_to_user(host["id"], "dana@example.com")

    assert member.connection_status == "CONNECTED"


def test_get_or_create_staff_by_wix_user_id_is_stable(wix_client, fake_wix):
    contributor = fake_wix.add_contributor("kim@example.com", name="Kim")

    first = wix_client.staff.get_or_create_by_wix_user_id(contributor["id"])
    second = wix_client.staff.get_or_create_by_wix_user_id(contributor["id"])

    assert first.id == second.id
    assert first.email == "kim@example.com"


def test_query_contributors_by_role(wix_client, fake_wix):
    fake_wix.add_contributor("owner@example.com", name="Olive", role="co-owner")
    fake_wix.add_contributor("web@example.com", role="website-manager")

    found = wix_client.contributors.query(["co-owner"])

    assert [(c.email, c.name, c.role_ids) for c in found] == [("owner@example.com", "Olive", ("co-owner",))]
    assert fake_wix.requests_to("/contributors/query")[-1].query == {"policyIds": ["co-owner"]}
