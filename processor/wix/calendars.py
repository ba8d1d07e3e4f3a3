"""External Calendars V2: providers, host calendar connections, their sync settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from processor.wix.errors import WixBadResponseError
from processor.wix.paths import segment
from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, dig, read_entity, read_list

CALENDARS_PATH = "/bookings/v2/external-calendars"
CONNECTIONS_PATH = f"{CALENDARS_PATH}/connections"
# Wix API assumption #12: schema, docs and article spell the OAuth URL key three ways.
OAUTH_URL_KEYS = ("oauthUrl", "oAUthUrl", "oAuthUrl")
BROKEN_STATUSES = ("ERROR", "DISCONNECTED")
HEALTHY_STATUSES = ("CONNECTED", "SYNC_IN_PROGRESS", "SYNCED")


@dataclass(frozen=True)
class CalendarProvider:
    """A calendar provider and how a host connects to it (OAUTH or CREDENTIALS)."""

    id: str
    name: str | None
    calendar_type: str | None
    connect_methods: tuple[str, ...]
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> CalendarProvider:
        return cls(
            id=raw["id"],
            name=raw.get("name"),
            calendar_type=raw.get("calendarType"),
            connect_methods=tuple(dig(raw, "features", "connectMethods") or ()),
            raw=raw,
        )


@dataclass(frozen=True)
class CalendarConnection:
    """A host's external calendar connection; no revision or timestamp of its own."""

    id: str
    provider_id: str | None
    schedule_id: str | None
    calendar_type: str | None
    status: str | None
    error_reason: str | None
    external_account_email: str | None
    import_enabled: bool
    export_enabled: bool
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> CalendarConnection:
        return cls(
            id=raw["id"],
            provider_id=raw.get("providerId"),
            schedule_id=raw.get("scheduleId"),
            calendar_type=raw.get("calendarType"),
            status=raw.get("status"),
            error_reason=raw.get("errorReason"),
            external_account_email=raw.get("externalAccountEmail"),
            import_enabled=bool(dig(raw, "syncConfig", "listEventFromCalendars", "enabled")),
            export_enabled=bool(dig(raw, "syncConfig", "syncToCalendar", "enabled")),
            raw=raw,
        )

    @property
    def is_broken(self) -> bool:
        return self.status in BROKEN_STATUSES


@dataclass(frozen=True)
class ConnectionList:
    """List Connections: what answered, and the providers that failed this time (skip them)."""

    connections: tuple[CalendarConnection, ...]
    failed_provider_ids: tuple[str, ...]


def sync_config(*, import_enabled: bool, export_enabled: bool) -> JsonDict:
    """A `syncConfig` on the primary calendars: import busy times, export bookings."""
    return {
        "listEventFromCalendars": {"enabled": import_enabled, "primaryCalendar": {}},
        "syncToCalendar": {"enabled": export_enabled, "primaryCalendar": {}},
    }


def read_oauth_url(body: JsonDict) -> str | None:
    """The consent URL under whichever spelling Wix used."""
    return next((body[k] for k in OAUTH_URL_KEYS if body.get(k)), None)


class CalendarsApi:
    """External Calendars calls (the plural path; the singular gives 404)."""

    def __init__(self, transport: WixTransport) -> None:
        self._transport = transport

    def list_providers(self) -> list[CalendarProvider]:
        """Every provider and its connect methods."""
        body = self._transport.call("GET", f"{CALENDARS_PATH}/providers")
        return read_list(body, "providers", CalendarProvider.from_wire, "List Providers")

    def connect_by_oauth(self, schedule_id: str, provider_id: str, redirect_url: str) -> str:
        """Start an OAuth connection; returns the URL to send the host to."""
        body = {"scheduleId": schedule_id, "providerId": provider_id, "redirectUrl": redirect_url}
        answer = self._transport.call("POST", f"{CONNECTIONS_PATH}:connectByOAuth", json=body)
        url = read_oauth_url(answer)
        if not isinstance(url, str):
            raise WixBadResponseError("Connect By OAuth answered without an OAuth URL")
        return url

    def connect_by_credentials(
        self, schedule_id: str, provider_id: str, email: str, password: str
    ) -> CalendarConnection:
        """Connect with an account's email and (app-specific) password."""
        body = {
            "scheduleId": schedule_id,
            "providerId": provider_id,
            "email": email,
            "password": password,
        }
        answer = self._transport.call("POST", f"{CONNECTIONS_PATH}:connectByCredentials", json=body)
        return _connection(answer, "Connect By Credentials")

    def get_connection(self, connection_id: str) -> CalendarConnection:
        """One connection's status and sync settings."""
        answer = self._transport.call("GET", f"{CONNECTIONS_PATH}/{segment(connection_id, 'connection id')}")
        return _connection(answer, "Get Connection")

    def list_connections(self, schedule_ids: list[str] | None = None) -> ConnectionList:
        """Connections of these schedules (assumption #23: repeated parameter), partial failure on."""
        params = [("scheduleIds", s) for s in schedule_ids or ()]
        params.append(("partialFailure", "true"))
        answer = self._transport.call("GET", CONNECTIONS_PATH, params=params)
        failed = answer.get("failedProviderIds") or []
        if not isinstance(failed, list) or not all(isinstance(p, str) for p in failed):
            raise WixBadResponseError("List Connections: 'failedProviderIds' is not a list of ids")
        return ConnectionList(
            connections=tuple(
                read_list(answer, "connections", CalendarConnection.from_wire, "List Connections")
            ),
            failed_provider_ids=tuple(failed),
        )

    def update_sync_config(self, connection_id: str, config: JsonDict) -> CalendarConnection:
        """Replace a connection's sync settings (build `config` with `sync_config`)."""
        path = f"{CONNECTIONS_PATH}/{segment(connection_id, 'connection id')}/sync-config"
        answer = self._transport.call("PATCH", path, json={"syncConfig": config})
        return _connection(answer, "Update Sync Config")

    def disconnect(self, connection_id: str) -> CalendarConnection:
        """Disconnect; Wix removes the events it exported."""
        path = f"{CONNECTIONS_PATH}/{segment(connection_id, 'connection id')}/disconnect"
        return _connection(self._transport.call("POST", path, json={}), "Disconnect")


def _connection(answer: JsonDict, call: str) -> CalendarConnection:
    return read_entity(answer, "connection", CalendarConnection.from_wire, call)
