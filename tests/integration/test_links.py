"""processor.meetings.link_switch against the fake Wix: GET→PATCH at fresh revisions, what we remember."""

from __future__ import annotations

import pytest

from processor.devtools.fake_wix import FakeWix
from processor.meetings.link_switch import activate_link, deactivate_link
from processor.meetings.links import links_for_schedule
from processor.store import paused_links
from processor.store.db import Sessions
from processor.wix import WixClient, WixConflictError, WixValidationError
from processor.wix.services import MEETINGS_NAMESPACE

PATCH = r"^/_api/bookings/v2/services/"
INSTANCE = "a41f2c9e-7b3d-4e6a-8c15-2d9f0b7e6a34"


@pytest.fixture
def link(fake_wix: FakeWix) -> str:
    host = fake_wix.add_staff_member()
    return str(fake_wix.add_service("Intro call", staff_member_ids=[host["resourceId"]])["id"])


def _patches(fake_wix: FakeWix) -> list[dict]:
    return [r.json["service"] for r in fake_wix.requests_to(PATCH, "PATCH")]


def test_deactivate_patches_at_the_current_revision_and_records_the_link(
    fake_wix: FakeWix, wix_client: WixClient, sessions: Sessions, link: str
) -> None:
    change = deactivate_link(
        wix_client,
        sessions,
        link,
        instance_id=INSTANCE,
        redirect_url="https://example.com/away",
        reason="calendar ERROR",
        by_processor=True,
        schedule_id="sched-1",
        connection_id="conn-1",
    )

    assert (change.changed, change.enabled, change.revision) == (True, False, 2)
    (patch,) = _patches(fake_wix)
    assert patch["revision"] == "1"
    assert patch["onlineBooking"]["enabled"] is False
    assert patch["extendedFields"]["namespaces"][MEETINGS_NAMESPACE] == {
        "deactivatedRedirectUrl": "https://example.com/away"
    }
    (row,) = paused_links.deactivated_links(sessions, schedule_id="sched-1")
    assert (row.service_id, row.connection_id) == (link, "conn-1")


def test_a_stale_revision_is_re_read_and_retried(
    fake_wix: FakeWix, wix_client: WixClient, sessions: Sessions, link: str
) -> None:
    fake_wix.fail_next(PATCH, status=409)

    change = deactivate_link(
        wix_client, sessions, link, instance_id=INSTANCE, redirect_url=None, reason="r", by_processor=True
    )

    assert change.changed is True
    assert len(_patches(fake_wix)) == 2
    assert len(fake_wix.requests_to(r"^/bookings/v2/services/", "GET")) == 2
    assert fake_wix.services[link]["onlineBooking"]["enabled"] is False


def test_conflicts_without_end_give_up(
    fake_wix: FakeWix, wix_client: WixClient, sessions: Sessions, link: str
) -> None:
    fake_wix.fail_next(PATCH, status=409, times=10)

    with pytest.raises(WixConflictError):
        deactivate_link(
            wix_client,
            sessions,
            link,
            instance_id=INSTANCE,
            redirect_url=None,
            reason="r",
            by_processor=False,
        )

    assert len(_patches(fake_wix)) == 4


def test_a_refused_redirect_is_dropped_once(
    fake_wix: FakeWix, wix_client: WixClient, sessions: Sessions, link: str
) -> None:
    fake_wix.fail_next(PATCH, status=403)

    change = deactivate_link(
        wix_client,
        sessions,
        link,
        instance_id=INSTANCE,
        redirect_url="https://x.test",
        reason="r",
        by_processor=True,
    )

    first, second = _patches(fake_wix)
    assert "extendedFields" in first
    assert "extendedFields" not in second
    assert change.enabled is False


def test_a_refusal_without_redirect_is_permanent(
    fake_wix: FakeWix, wix_client: WixClient, sessions: Sessions, link: str
) -> None:
    fake_wix.fail_next(PATCH, status=400)

    with pytest.raises(WixValidationError):
        deactivate_link(
            wix_client, sessions, link, instance_id=INSTANCE, redirect_url=None, reason="r", by_processor=True
        )


def test_an_already_disabled_link_is_not_recorded_as_ours(
    fake_wix: FakeWix, wix_client: WixClient, sessions: Sessions
) -> None:
    service = fake_wix.add_service("Owner's off link", staff_member_ids=["r"], enabled=False)

    change = deactivate_link(
        wix_client,
        sessions,
        service["id"],
        instance_id=INSTANCE,
        redirect_url=None,
        reason="r",
        by_processor=True,
    )

    assert change.changed is False
    assert _patches(fake_wix) == []
    assert paused_links.deactivated_links(sessions) == []


def test_a_person_deactivating_clears_our_record(
    fake_wix: FakeWix, wix_client: WixClient, sessions: Sessions, link: str
) -> None:
    deactivate_link(
        wix_client, sessions, link, instance_id=INSTANCE, redirect_url=None, reason="r", by_processor=True
    )

    deactivate_link(
        wix_client,
        sessions,
        link,
        instance_id=INSTANCE,
        redirect_url=None,
        reason="owner",
        by_processor=False,
    )

    assert paused_links.deactivated_links(sessions) == []


def test_activate_turns_booking_on_and_forgets_the_record(
    fake_wix: FakeWix, wix_client: WixClient, sessions: Sessions, link: str
) -> None:
    deactivate_link(
        wix_client, sessions, link, instance_id=INSTANCE, redirect_url=None, reason="r", by_processor=True
    )

    change = activate_link(wix_client, sessions, link, instance_id=INSTANCE, by_processor=True)

    assert (change.changed, change.enabled, change.revision) == (True, True, 3)
    assert _patches(fake_wix)[-1] == {
        "id": link,
        "revision": "2",
        "onlineBooking": {"enabled": True, "requireManualApproval": False, "allowMultipleRequests": False},
    }
    assert paused_links.deactivated_links(sessions) == []


def test_links_for_schedule_finds_the_hosts_meetings_links_only(
    fake_wix: FakeWix, wix_client: WixClient
) -> None:
    dana = fake_wix.add_staff_member("Dana", "dana@example.com")
    kim = fake_wix.add_staff_member("Kim", "kim@example.com")
    mine = fake_wix.add_service("Dana 30", staff_member_ids=[dana["resourceId"]])
    fake_wix.add_service("Kim 30", staff_member_ids=[kim["resourceId"]])
    fake_wix.add_service("Dana class", staff_member_ids=[dana["resourceId"]], app_id="other-app")

    found = links_for_schedule(wix_client, dana["resource"]["eventsSchedule"]["id"])

    assert [s.id for s in found] == [mine["id"]]
    assert links_for_schedule(wix_client, "no-such-schedule") == []
