"""The plain data notifications are built from: one meeting, one scheduling link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class MeetingDetails:
    """One booking as a notification shows it; times are aware datetimes, stored in UTC."""

    booking_id: str
    revision: int
    service_name: str
    start_utc: datetime
    end_utc: datetime
    host_name: str | None
    host_email: str | None
    host_time_zone: str | None
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None
    booking_page_url: str | None
    location: str | None = None
    customer_time_zone: str | None = None

    def __post_init__(self) -> None:
        # Wix sends revisions as int64 strings; SEQUENCE needs an int.
        object.__setattr__(self, "revision", int(self.revision))
        object.__setattr__(self, "start_utc", as_utc(self.start_utc, "start_utc"))
        object.__setattr__(self, "end_utc", as_utc(self.end_utc, "end_utc"))
        if self.end_utc < self.start_utc:
            raise ValueError("end_utc is before start_utc")

    @property
    def host_zone(self) -> tzinfo:
        """The host's time zone, or UTC when unknown or not a valid IANA name."""
        return zone_or_utc(self.host_time_zone)

    @property
    def customer_zone(self) -> tzinfo:
        """The customer's time zone when Wix gave one, else the host's."""
        return zone_or_utc(self.customer_time_zone or self.host_time_zone)


@dataclass(frozen=True)
class LinkDetails:
    """One scheduling link (a Wix service) and the host it belongs to."""

    service_id: str
    service_name: str
    host_name: str | None
    host_email: str | None
    booking_page_url: str | None


def as_utc(value: datetime, name: str = "datetime") -> datetime:
    """The same instant in UTC; naive datetimes are refused, their zone is unknowable."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def zone_or_utc(name: str | None) -> tzinfo:
    """ZoneInfo for an IANA name; UTC when the name is missing or unknown."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
