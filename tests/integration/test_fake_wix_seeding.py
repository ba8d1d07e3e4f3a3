"""Seeding a day at scale from Python: provisioned sites, paid bookings, their changes, broken calendars."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from processor.devtools.keys import generate_key_pair
from processor.events import decode_webhook, load_public_keys
from processor.wix.services import meetings_services_filter


@pytest.fixture(scope="module")
def dev_keys():
    """(private PEM, public keys) for signing the seeded webhooks."""
    private_pem, public_pem = generate_key_pair()
    return private_pem, load_public_keys([public_pem])


@pytest.fixture
def site(fake_wix):
    made = fake_wix.add_site()
    made.seed_site()
    return made


def _utc(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_seeded_sites_have_paid_links_hosts_and_synced_calendars(fake_wix, wix_site_client):
    seeded = fake_wix.seed_sites(3, hosts=2, price="40.00")

    for made in seeded:
        client = wix_site_client(fake_wix.site(made.instance_id))
        links = list(client.services.query_all(meetings_services_filter()))
        connections = client.calendars.list_connections([h.schedule_id for h in made.hosts]).connections
        assert sorted(s.id for s in links) == sorted(h.service_id for h in made.hosts)
        assert {s.payment.price.value for s in links} == {Decimal("40.00")}
        assert sorted(tuple(s.staff_member_ids) for s in links) == sorted(
            (h.resource_id,) for h in made.hosts
        )
        assert [c.status for c in connections] == ["SYNCED", "SYNCED"]
    assert len({made.instance_id for made in seeded}) == 3


def test_a_paid_booking_comes_with_its_order_and_payment(site, wix_site_client):
    created = site.book_paid()

    extended = wix_site_client(site).bookings.get_extended(created.entity_id)
    refundability = wix_site_client(site).orders.refundability(extended.order.id)

    assert created.event_type == "wix.bookings.v2.booking_created"
    assert created.body == site.bookings[created.entity_id]
    assert created.sequence == 1
    assert extended.booking.is_meetings
    assert extended.booking.is_paid_online
    assert extended.order.total == Decimal("50.00")
    assert [p.remaining_refund for p in refundability.payments] == [Decimal("50.00")]


def test_bookings_of_one_service_get_distinct_slots(site):
    first, second = site.book_paid(), site.book_paid()

    assert _utc(second.body["startDate"]) == _utc(first.body["endDate"])


def test_confirm_reschedule_and_cancel_bump_the_revision_as_wix_does(site, wix_site_client):
    created = site.book_paid(status="CREATED")
    booking_id = created.entity_id

    confirmed = site.confirm_booking(booking_id)
    moved = site.reschedule_booking(booking_id)
    canceled = site.cancel_booking(booking_id)

    assert [e.sequence for e in (created, confirmed, moved, canceled)] == [1, 2, 3, 4]
    assert confirmed.body["previousStatus"] == "CREATED"
    assert confirmed.body["booking"]["status"] == "CONFIRMED"
    assert moved.body["previousStartDate"] == created.body["startDate"]
    assert _utc(moved.body["booking"]["startDate"]) == _utc(created.body["endDate"])
    assert canceled.body["previousStatus"] == "CONFIRMED"
    assert canceled.body["booking"]["status"] == "CANCELED"
    assert wix_site_client(site).bookings.get_extended(booking_id).booking.revision == 4


def test_reschedule_to_a_given_time_keeps_the_length(site):
    booking = site.book_paid().body
    later = _utc(booking["startDate"]) + timedelta(days=1)

    moved = site.reschedule_booking(booking["id"], later).body["booking"]

    assert _utc(moved["startDate"]) == later
    assert _utc(moved["endDate"]) - later == timedelta(minutes=30)


def test_a_seeded_change_signs_into_the_webhook_wix_would_send(site, dev_keys):
    private_pem, public_keys = dev_keys
    canceled = site.cancel_booking(site.book_paid().entity_id)

    event = decode_webhook(canceled.sign(private_pem).encode(), public_keys)
    again = decode_webhook(canceled.sign(private_pem).encode(), public_keys)

    assert event.event_type == "wix.bookings.v2.booking_canceled"
    assert event.instance_id == site.instance_id
    assert event.entity_id == canceled.entity_id
    assert event.entity_sequence == 2
    assert event.body["booking"]["status"] == "CANCELED"
    assert event.body["previousStatus"] == "CONFIRMED"
    assert again.wix_event_id == event.wix_event_id  # a resend, not a new event


def test_install_and_uninstall_sign_as_app_instance_events(site, dev_keys, fake_wix):
    private_pem, public_keys = dev_keys

    installed = decode_webhook(site.install().sign(private_pem).encode(), public_keys)
    removed = decode_webhook(site.uninstall().sign(private_pem).encode(), public_keys)

    assert (installed.event_type, removed.event_type) == ("AppInstalled", "AppRemoved")
    assert installed.instance_id == removed.instance_id == site.instance_id
    assert installed.data == {"appId": fake_wix.app_id}


def test_a_calendar_breaks_disconnects_and_recovers(fake_wix, wix_site_client):
    made = fake_wix.seed_sites(1)[0]
    site, connection_id = fake_wix.site(made.instance_id), made.hosts[0].connection_id
    calendars = wix_site_client(site).calendars

    broken = site.break_connection(connection_id, "EXTERNAL_CALENDAR_DELETED")
    seen_broken = calendars.get_connection(connection_id)
    gone = site.break_connection(connection_id, None)
    seen_gone = calendars.get_connection(connection_id)
    recovered = site.recover_connection(connection_id)

    assert (broken["status"], broken["errorReason"]) == ("ERROR", "EXTERNAL_CALENDAR_DELETED")
    assert (seen_broken.status, seen_broken.error_reason) == ("ERROR", "EXTERNAL_CALENDAR_DELETED")
    assert "errorReason" not in gone
    assert (seen_gone.status, seen_gone.error_reason) == ("DISCONNECTED", None)
    assert recovered["status"] == calendars.get_connection(connection_id).status == "SYNCED"
