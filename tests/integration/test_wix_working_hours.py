"""A host's own working hours and days off through WixClient against the fake, over HTTP."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from processor.devtools import fake_wix_hours
from processor.wix import WixConflictError, WixNotFoundError, WixPreconditionError, WixValidationError
from processor.wix.calendar_events import BOOKINGS_APP_ID
from processor.wix.calendar_schedules import BUSINESS_SCHEDULE_EXTERNAL_ID
from processor.wix.staff import WorkingHoursSchedule
from processor.wix.working_hours import DayOff, WeeklyWorkingHours, next_weekday

LISBON = "Europe/Lisbon"
ASSIGN = r"/assign-working-hours-schedule$"


@pytest.fixture
def host(wix_client, fake_wix):
    created = fake_wix.add_staff_member("Dana Host", "dana@example.com")
    return wix_client.staff.get(created["id"])


def _tomorrow_in_lisbon() -> date:
    return datetime.now(ZoneInfo(LISBON)).date() + timedelta(days=1)


def _tuesday_hours(host, wix_client, *, start=time(10), end=time(16), weekday="TUESDAY"):
    hours = WeeklyWorkingHours(weekday, start, end, LISBON)
    event = hours.to_event(
        schedule_id=host.events_schedule_id, resource_id=host.resource_id, starting=_tomorrow_in_lisbon()
    )
    return hours, wix_client.calendar_events.create(event)


def test_a_new_host_works_the_business_hours(host, fake_wix):
    assert host.uses_default_working_hours is True
    # like Wix, a new staff member lists the shared business schedule (#29, #30)
    assert host.business_working_hours_schedule_id == fake_wix_hours.business_schedule_id(fake_wix)
    assert host.working_hours_schedules == (
        WorkingHoursSchedule(host.business_working_hours_schedule_id, True),
    )


def test_own_hours_assign_the_hosts_events_schedule(wix_client, fake_wix, host):
    member = wix_client.staff.use_own_working_hours(host)

    [sent] = fake_wix.requests_to(ASSIGN)
    assert sent.method == "POST"
    assert sent.path == f"/bookings/v1/staff-members/{host.id}/assign-working-hours-schedule"
    assert sent.json == {"scheduleId": host.events_schedule_id, "fields": ["RESOURCE_DETAILS"]}
    assert member.uses_default_working_hours is False
    assert member.working_hours_schedules == (WorkingHoursSchedule(host.events_schedule_id, False),)
    assert member.revision == host.revision + 1


def test_own_hours_twice_sends_one_assignment(wix_client, fake_wix, host):
    member = wix_client.staff.use_own_working_hours(host)

    again = wix_client.staff.use_own_working_hours(member)

    assert again is member
    assert len(fake_wix.requests_to(ASSIGN)) == 1


def test_back_to_business_hours_assigns_the_business_schedule(wix_client, fake_wix, host):
    own = wix_client.staff.use_own_working_hours(host)

    business = wix_client.schedules.business_schedule()
    member = wix_client.staff.use_business_hours(own, business.id)

    assert fake_wix.requests_to("/calendar/v3/schedules/query")[-1].json == {
        "query": {"filter": {"externalId": BUSINESS_SCHEDULE_EXTERNAL_ID}, "cursorPaging": {"limit": 1}}
    }
    assert business.id == fake_wix_hours.business_schedule_id(fake_wix)
    assert fake_wix.requests_to(ASSIGN)[-1].json == {
        "scheduleId": business.id,
        "fields": ["RESOURCE_DETAILS"],
    }
    assert member.uses_default_working_hours is True
    assert member.business_working_hours_schedule_id == business.id
    assert member.revision == own.revision + 1
    assert wix_client.staff.use_business_hours(member, business.id) is member  # nothing to do


def test_any_other_schedule_is_refused(wix_client, host):
    with pytest.raises(WixValidationError) as caught:
        wix_client.staff.assign_working_hours_schedule(host.id, "some-service-schedule")

    assert [v.field for v in caught.value.field_violations] == ["scheduleId"]


def test_ids_go_into_paths_as_one_encoded_segment(wix_client, fake_wix):
    with pytest.raises(WixNotFoundError):
        wix_client.staff.assign_working_hours_schedule("a/b c", "x")
    with pytest.raises(WixNotFoundError):
        wix_client.calendar_events.get("e/1")

    assert [r.raw_path for r in fake_wix.requests[-2:]] == [
        "/bookings/v1/staff-members/a%2Fb%20c/assign-working-hours-schedule",
        "/calendar/v3/events/e%2F1",
    ]


def test_weekly_hours_are_a_master_event_on_one_weekday(wix_client, fake_wix, host):
    hours, event = _tuesday_hours(host, wix_client)

    day = next_weekday(_tomorrow_in_lisbon(), "TUESDAY")
    [sent] = fake_wix.requests_to("/calendar/v3/events$", "POST")
    assert sent.json == {
        "event": {
            "scheduleId": host.events_schedule_id,
            "type": "WORKING_HOURS",
            "start": {"localDate": f"{day}T10:00:00"},
            "end": {"localDate": f"{day}T16:00:00"},
            "timeZone": LISBON,
            "recurrenceRule": {"frequency": "WEEKLY", "interval": 1, "days": ["TUESDAY"]},
            "externalScheduleId": host.resource_id,
            "resources": [{"id": host.resource_id}],
            "appId": BOOKINGS_APP_ID,
        }
    }
    assert (event.recurrence_type, event.status, event.revision) == ("MASTER", "CONFIRMED", 1)
    assert event.external_schedule_id == host.resource_id
    assert WeeklyWorkingHours.from_event(event) == hours


def test_working_hours_are_found_by_the_hosts_resource_id(wix_client, fake_wix, host):
    _, tuesday = _tuesday_hours(host, wix_client)
    _, wednesday = _tuesday_hours(host, wix_client, weekday="WEDNESDAY")
    fake_wix_hours.add_day_off(fake_wix, host.id, date(2026, 12, 24), date(2026, 12, 24), LISBON)

    found = wix_client.calendar_events.working_hours(external_schedule_id=host.resource_id)

    assert {e.id for e in found} == {tuesday.id, wednesday.id}
    assert fake_wix.requests_to("/calendar/v3/events/query")[-1].json == {
        "query": {
            "filter": {"externalScheduleId": host.resource_id, "type": "WORKING_HOURS"},
            "cursorPaging": {"limit": 100},
        },
        "recurrenceType": ["MASTER"],
    }


def test_query_leaves_working_hours_out_unless_the_filter_names_them(wix_client, fake_wix, host):
    _tuesday_hours(host, wix_client)
    day_off = fake_wix_hours.add_day_off(fake_wix, host.id, date(2026, 12, 24), date(2026, 12, 24), LISBON)

    found = wix_client.calendar_events.query(
        schedule_ids=[host.events_schedule_id], recurrence_types=["MASTER", "NONE"]
    )

    assert [e.id for e in found] == [day_off["id"]]


def test_query_follows_the_cursor_through_every_page(wix_client, fake_wix, host):
    for weekday in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"):
        _tuesday_hours(host, wix_client, weekday=weekday)

    found = wix_client.calendar_events.query(
        external_schedule_ids=[host.resource_id],
        types=["WORKING_HOURS"],
        recurrence_types=["MASTER"],
        page_size=2,
    )

    assert len(found) == 5
    pages = fake_wix.requests_to("/calendar/v3/events/query")
    assert len(pages) == 3
    cursor = pages[1].json["query"]["cursorPaging"]["cursor"]
    assert pages[1].json == {
        "query": {"cursorPaging": {"limit": 2, "cursor": cursor}},
        "recurrenceType": ["MASTER"],
    }


def test_update_needs_the_current_revision(wix_client, fake_wix, host):
    _, event = _tuesday_hours(host, wix_client)
    day = event.start[:10]
    later = {"start": {"localDate": f"{day}T11:00:00"}, "end": {"localDate": f"{day}T17:00:00"}}

    updated = wix_client.calendar_events.update(event.id, 1, later)
    with pytest.raises(WixConflictError):
        wix_client.calendar_events.update(event.id, 1, later)

    sent = fake_wix.requests_to(f"/calendar/v3/events/{event.id}$", "PATCH")[0]
    assert sent.json == {"event": {**later, "id": event.id, "revision": "1"}}
    assert (updated.start, updated.end, updated.revision) == (f"{day}T11:00:00", f"{day}T17:00:00", 2)
    assert updated.recurrence_type == "MASTER"


def test_cancel_ends_a_series_and_cancelling_twice_is_a_failed_precondition(wix_client, fake_wix, host):
    _, event = _tuesday_hours(host, wix_client)

    cancelled = wix_client.calendar_events.cancel(event.id)
    with pytest.raises(WixPreconditionError) as caught:
        wix_client.calendar_events.cancel(event.id)

    sent = fake_wix.requests_to(f"/calendar/v3/events/{event.id}/cancel$")[0]
    assert sent.json == {"participantNotification": {"notifyParticipants": False}}
    assert (cancelled.status, cancelled.revision) == ("CANCELLED", 2)
    assert caught.value.code == "EVENT_ALREADY_CANCELLED"
    assert wix_client.calendar_events.working_hours(external_schedule_id=host.resource_id) == []
    assert wix_client.calendar_events.get(event.id).is_cancelled  # still readable (#40)


def test_a_day_off_is_a_whole_day_opaque_event(wix_client, fake_wix, host):
    christmas = DayOff(date(2026, 12, 24), date(2026, 12, 26), LISBON, "Christmas")

    created = wix_client.calendar_events.create(christmas.to_event(schedule_id=host.events_schedule_id))
    listed = wix_client.calendar_events.days_off(
        schedule_id=host.events_schedule_id,
        from_local_date="2026-12-01T00:00:00",
        to_local_date="2027-01-01T00:00:00",
        time_zone=LISBON,
    )

    assert fake_wix.requests_to("/calendar/v3/events$", "POST")[0].json == {
        "event": {
            "scheduleId": host.events_schedule_id,
            "title": "Christmas",
            "start": {"localDate": "2026-12-24T00:00:00"},
            "end": {"localDate": "2026-12-27T00:00:00"},
            "timeZone": LISBON,
            "transparency": "OPAQUE",
            "allDay": True,
        }
    }
    assert fake_wix.requests_to("/calendar/v3/events/query")[-1].json == {
        "query": {
            "filter": {"scheduleId": host.events_schedule_id, "transparency": "OPAQUE"},
            "cursorPaging": {"limit": 100},
        },
        "recurrenceType": ["NONE"],
        "fromLocalDate": "2026-12-01T00:00:00",
        "toLocalDate": "2027-01-01T00:00:00",
        "timeZone": LISBON,
    }
    assert [e.id for e in listed] == [created.id]
    assert (created.recurrence_type, created.type, created.transparency) == ("NONE", "DEFAULT", "OPAQUE")
    assert DayOff.from_event(listed[0]) == christmas


def test_days_off_outside_the_range_are_not_listed(wix_client, fake_wix, host):
    fake_wix_hours.add_day_off(fake_wix, host.id, date(2026, 12, 24), date(2026, 12, 26), LISBON)

    listed = wix_client.calendar_events.days_off(
        schedule_id=host.events_schedule_id,
        from_local_date="2027-01-01T00:00:00",
        to_local_date="2027-02-01T00:00:00",
    )

    assert listed == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"recurrenceRule": {"frequency": "WEEKLY", "days": ["TUESDAY", "WEDNESDAY"]}},
            "event.recurrenceRule.days",
        ),
        ({"recurrenceRule": {"frequency": "DAILY", "days": ["TUESDAY"]}}, "event.recurrenceRule.frequency"),
        ({"recurrenceRule": {"frequency": "WEEKLY", "days": ["MONDAY"]}}, "event.start.localDate"),
        ({"timeZone": "Mars/Olympus"}, "event.timeZone"),
        ({"end": {"localDate": "2020-01-01T09:00:00"}}, "event.end.localDate"),
        ({"start": {"localDate": "tuesday 10am"}}, "event.start.localDate"),
        ({"scheduleId": ""}, "event.scheduleId"),
    ],
)
def test_bad_events_are_refused_with_the_field(wix_client, host, change, field):
    hours = WeeklyWorkingHours("TUESDAY", time(10), time(16), LISBON)
    event = {**hours.to_event(schedule_id=host.events_schedule_id, starting=_tomorrow_in_lisbon()), **change}

    with pytest.raises(WixValidationError) as caught:
        wix_client.calendar_events.create(event)

    assert [v.field for v in caught.value.field_violations] == [field]


def test_a_recurring_event_cannot_start_in_the_past(wix_client, host):
    hours = WeeklyWorkingHours("TUESDAY", time(10), time(16), LISBON)
    event = hours.to_event(schedule_id=host.events_schedule_id, starting=date(2024, 1, 1))

    with pytest.raises(WixValidationError) as caught:
        wix_client.calendar_events.create(event)

    assert "past" in caught.value.message


def test_an_unknown_schedule_is_not_found(wix_client):
    hours = WeeklyWorkingHours("TUESDAY", time(10), time(16), LISBON)

    with pytest.raises(WixNotFoundError) as caught:
        wix_client.calendar_events.create(hours.to_event(schedule_id="nope", starting=_tomorrow_in_lisbon()))

    assert caught.value.code == "SCHEDULE_NOT_FOUND"


def test_the_same_idempotency_key_creates_one_event(wix_client, fake_wix, host):
    hours = WeeklyWorkingHours("TUESDAY", time(10), time(16), LISBON)
    event = hours.to_event(schedule_id=host.events_schedule_id, starting=_tomorrow_in_lisbon())
    key = "9b2f8f8e-3f4a-4c1e-9a57-0c6b8f1d2e3a"

    first = wix_client.calendar_events.create(event, idempotency_key=key)
    second = wix_client.calendar_events.create(event, idempotency_key=key)

    assert first.id == second.id
    assert fake_wix.requests_to("/calendar/v3/events$", "POST")[0].json["idempotencyKey"] == key
    mine = [
        e
        for e in fake_wix_hours.calendar_events(fake_wix).values()
        if e["scheduleId"] == host.events_schedule_id
    ]
    assert len(mine) == 1


def test_events_read_back_by_id(wix_client, fake_wix, host):
    _, event = _tuesday_hours(host, wix_client)

    one = wix_client.calendar_events.get(event.id)
    some = wix_client.calendar_events.list_by_ids([event.id, "unknown"])

    assert one == event
    assert [e.id for e in some] == [event.id]
    assert fake_wix.requests[-1].query == {"eventIds": [event.id, "unknown"]}


def test_the_business_hours_are_masters_on_the_business_schedule(wix_client):
    business = wix_client.schedules.business_schedule()

    found = wix_client.calendar_events.working_hours(schedule_id=business.id)

    assert len(found) == 7
    assert {(e.start[11:16], e.end[11:16], e.time_zone) for e in found} == {("09:00", "17:00", "UTC")}
    assert wix_client.schedules.get(business.id) == business


def test_instances_of_the_weekly_hours_come_with_a_date_range(wix_client, host):
    _, master = _tuesday_hours(host, wix_client)
    first = date.fromisoformat(master.start[:10])

    instances = wix_client.calendar_events.query(
        external_schedule_ids=[host.resource_id],
        types=["WORKING_HOURS"],
        recurrence_types=["INSTANCE"],
        from_local_date=f"{first}T00:00:00",
        to_local_date=f"{first + timedelta(days=14)}T00:00:00",
        time_zone=LISBON,
    )

    assert [(e.start, e.recurring_event_id, e.recurrence_type) for e in instances] == [
        (f"{first}T10:00:00", master.id, "INSTANCE"),
        (f"{first + timedelta(days=7)}T10:00:00", master.id, "INSTANCE"),
    ]
