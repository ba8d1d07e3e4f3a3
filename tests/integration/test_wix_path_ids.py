"""Ids in Wix URL paths travel as one percent-encoded segment, or not at all; 2xx answers of the
wrong shape are a typed, retryable error. Against the fake Wix API over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from processor.devtools.fake_wix import FakeWix
from processor.wix import (
    WixBadResponseError,
    WixClient,
    WixInvalidIdError,
    WixNotFoundError,
    WixUnavailableError,
)
from processor.wix.bookings import Slot
from processor.wix.calendars import sync_config

HOSTILE = "../../../../stores/v1/orders?x=1#y"
ENCODED = "..%2F..%2F..%2F..%2Fstores%2Fv1%2Forders%3Fx%3D1%23y"

# Every client call that puts an id in its path: (call, the path it must reach, id in place of {}).
CALLS: dict[str, tuple[Callable[[WixClient, str], Any], str]] = {
    "get connection": (
        lambda wix, i: wix.calendars.get_connection(i),
        "/bookings/v2/external-calendars/connections/{}",
    ),
    "update sync config": (
        lambda wix, i: wix.calendars.update_sync_config(
            i, sync_config(import_enabled=True, export_enabled=True)
        ),
        "/bookings/v2/external-calendars/connections/{}/sync-config",
    ),
    "disconnect": (
        lambda wix, i: wix.calendars.disconnect(i),
        "/bookings/v2/external-calendars/connections/{}/disconnect",
    ),
    "get service": (lambda wix, i: wix.services.get(i), "/bookings/v2/services/{}"),
    "update service": (
        lambda wix, i: wix.services.update(i, 1, {"name": "x"}),
        "/_api/bookings/v2/services/{}",
    ),
    "get staff member": (lambda wix, i: wix.staff.get(i), "/bookings/v1/staff-members/{}"),
    "connect staff member": (
        lambda wix, i: wix.staff.connect_to_user(i),
        "/bookings/v1/staff-members/{}/connect-staff-member-to-user",
    ),
    "staff member by Wix user": (
        lambda wix, i: wix.staff.get_or_create_by_wix_user_id(i),
        "/bookings/v1/staff-members/get-or-create/wix-user-id/{}",
    ),
    "get order": (lambda wix, i: wix.orders.get(i), "/ecom/v1/orders/{}"),
    "list transactions": (lambda wix, i: wix.orders.transactions(i), "/ecom/v1/payments/orders/{}"),
    "cancel booking": (
        lambda wix, i: wix.bookings.cancel(i, 1),
        "/_api/bookings-service/v2/bookings/{}/cancel",
    ),
    "reschedule booking": (
        lambda wix, i: wix.bookings.reschedule(i, 1, Slot(None, None, None, None, None, None, None)),
        "/_api/bookings-service/v2/bookings/{}/reschedule",
    ),
}


@pytest.mark.parametrize("call", CALLS)
def test_a_hostile_id_stays_one_segment_of_the_intended_path(
    wix_client: WixClient, fake_wix: FakeWix, call: str
) -> None:
    make, path = CALLS[call]

    with pytest.raises(WixNotFoundError) as refused:
        make(wix_client, HOSTILE)

    [sent] = fake_wix.requests
    assert sent.raw_path == path.format(ENCODED)
    assert "x" not in sent.query  # `?x=1` stayed inside the id
    assert not isinstance(refused.value, WixInvalidIdError)  # Wix (the fake) said 404


@pytest.mark.parametrize(
    "bad_id", ["", ".", "..", "a\nb", "tab\there", "nul\x00", "del\x7f", "x" * 1025, "\ud800", None, 5]
)
@pytest.mark.parametrize("call", CALLS)
def test_an_id_that_cannot_be_a_wix_id_is_refused_before_any_request(
    wix_client: WixClient, fake_wix: FakeWix, call: str, bad_id: Any
) -> None:
    make, _ = CALLS[call]

    with pytest.raises(WixInvalidIdError):
        make(wix_client, bad_id)

    assert fake_wix.requests == []


def test_an_invalid_id_is_a_not_found_error_to_callers() -> None:
    assert issubclass(WixInvalidIdError, WixNotFoundError)


def test_connection_ids_with_slashes_plus_and_padding_round_trip(
    wix_client: WixClient, fake_wix: FakeWix
) -> None:
    member = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    opaque = "Y2FsZW5kYXI6/Z29vZ2xl+OmRhbmE=="
    fake_wix.add_connection(member["resource"]["eventsSchedule"]["id"], connection_id=opaque, status="SYNCED")

    read = wix_client.calendars.get_connection(opaque)
    updated = wix_client.calendars.update_sync_config(
        opaque, sync_config(import_enabled=False, export_enabled=True)
    )
    gone = wix_client.calendars.disconnect(opaque)

    assert (read.id, updated.import_enabled, gone.status) == (opaque, False, "DISCONNECTED")
    assert {r.raw_path for r in fake_wix.requests} == {
        "/bookings/v2/external-calendars/connections/Y2FsZW5kYXI6%2FZ29vZ2xl%2BOmRhbmE%3D%3D",
        "/bookings/v2/external-calendars/connections/Y2FsZW5kYXI6%2FZ29vZ2xl%2BOmRhbmE%3D%3D/sync-config",
        "/bookings/v2/external-calendars/connections/Y2FsZW5kYXI6%2FZ29vZ2xl%2BOmRhbmE%3D%3D/disconnect",
    }


WRONG_SHAPES: dict[str, tuple[str, Callable[[WixClient], Any]]] = {
    "Get Connection without connection": (
        "/connections/",
        lambda wix: wix.calendars.get_connection("c1"),
    ),
    "Get Service without service": ("/services/", lambda wix: wix.services.get("s1")),
    "Get Staff Member without staffMember": ("/staff-members/", lambda wix: wix.staff.get("m1")),
    "Get Order without order": ("/orders/", lambda wix: wix.orders.get("o1")),
    "Cancel Booking without booking": ("/cancel$", lambda wix: wix.bookings.cancel("b1", 1)),
}


@pytest.mark.parametrize("case", WRONG_SHAPES)
def test_a_2xx_answer_of_the_wrong_shape_is_a_retryable_bad_response(
    wix_client: WixClient, fake_wix: FakeWix, case: str
) -> None:
    path, call = WRONG_SHAPES[case]
    fake_wix.fail_next(path, status=200)  # a 200 whose body is Wix's error body, not the entity

    with pytest.raises(WixBadResponseError) as bad:
        call(wix_client)

    assert isinstance(bad.value, WixUnavailableError)  # flows retry it like a 5xx
