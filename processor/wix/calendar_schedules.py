"""Calendar Schedules V3: the business's working-hours schedule and the hosts' event schedules."""

from __future__ import annotations

from dataclasses import dataclass, field

from processor.wix.paths import segment
from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, as_revision, read_entity, read_list

SCHEDULES_PATH = "/calendar/v3/schedules"
# Every site's business schedule carries this external id ("About Business Schedules").
BUSINESS_SCHEDULE_EXTERNAL_ID = "4e0579a5-491e-4e70-a872-d097eed6e520"


@dataclass(frozen=True)
class Schedule:
    """A calendar schedule; `external_id` names its owner (a staff resource id, a service id, …)."""

    id: str
    external_id: str | None
    name: str | None
    status: str | None
    time_zone: str | None
    app_id: str | None
    revision: int | None
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> Schedule:
        return cls(
            id=raw["id"],
            external_id=raw.get("externalId"),
            name=raw.get("name"),
            status=raw.get("status"),
            time_zone=raw.get("timeZone"),
            app_id=raw.get("appId"),
            revision=as_revision(raw.get("revision")),
            raw=raw,
        )

    @property
    def is_business_schedule(self) -> bool:
        return self.external_id == BUSINESS_SCHEDULE_EXTERNAL_ID


class SchedulesApi:
    """Schedules V3 reads; Bookings owns the schedules, we never create or cancel one."""

    def __init__(self, transport: WixTransport) -> None:
        self._transport = transport

    def get(self, schedule_id: str) -> Schedule:
        """One schedule (its time zone, owner, status)."""
        answer = self._transport.call("GET", f"{SCHEDULES_PATH}/{segment(schedule_id, 'schedule id')}")
        return read_entity(answer, "schedule", Schedule.from_wire, "Get Schedule")

    def query(self, query_filter: JsonDict | None = None, *, limit: int = 50) -> list[Schedule]:
        """Active schedules matching the filter (`id`, `externalId`, `appId`, `status`)."""
        query: JsonDict = {"cursorPaging": {"limit": limit}}
        if query_filter:
            query["filter"] = query_filter
        answer = self._transport.call("POST", f"{SCHEDULES_PATH}/query", json={"query": query})
        return read_list(answer, "schedules", Schedule.from_wire, "Query Schedules")

    def business_schedule(self) -> Schedule | None:
        """The business's working-hours schedule (Wix API assumption #29), or None if Wix lists none."""
        found = self.query({"externalId": BUSINESS_SCHEDULE_EXTERNAL_ID}, limit=1)
        return next((s for s in found if s.is_business_schedule), None)
