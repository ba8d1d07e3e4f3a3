"""Host calendars: providers, connecting by OAuth or credentials, status, sync directions, OAuth return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from processor.meetings.connection_changes import record_connection_seen
from processor.meetings.errors import NotAllowedError, NotFoundError
from processor.meetings.hosts import HostCalendar, find_host
from processor.meetings.oauth_state import OAuthReturnRefusedError, OAuthState, issue_state
from processor.store.db import Sessions
from processor.store.ledger import Ledger, LedgerBusyError
from processor.wix import WixClient, WixNotFoundError
from processor.wix.calendars import CalendarProvider, sync_config
from processor.wix.staff import StaffMember

RETURN_PATH = "/calendars/connected"


@dataclass(frozen=True)
class Provider:
    """A calendar provider and how hosts connect to it."""

    id: str
    name: str | None
    calendar_type: str | None
    connect_methods: list[str]


@dataclass(frozen=True)
class OAuthStart:
    """Where to send the host to grant access, where they come back, and until when that works."""

    host_email: str
    provider: str
    oauth_url: str
    redirect_url: str
    expires_at: datetime


@dataclass(frozen=True)
class HostCalendars:
    """One host's calendar connections."""

    host: str | None
    email: str | None
    schedule_id: str | None
    calendars: list[HostCalendar]


def list_providers(wix: WixClient) -> list[Provider]:
    """Every provider with its connect methods (OAUTH or CREDENTIALS)."""
    return [
        Provider(p.id, p.name, p.calendar_type, list(p.connect_methods))
        for p in wix.calendars.list_providers()
    ]


def find_provider(wix: WixClient, name: str) -> CalendarProvider:
    """A provider by name, calendar type or id (any case)."""
    wanted = name.strip().lower()
    providers = wix.calendars.list_providers()
    for p in providers:
        if wanted in ((p.name or "").lower(), (p.calendar_type or "").lower(), p.id.lower()):
            return p
    known = ", ".join(p.name or p.id for p in providers)
    raise NotFoundError(f"no calendar provider {name!r}; this site offers: {known}")


def return_url(public_base_url: str, state: str) -> str:
    """The OAuth return page with our signed state; Wix appends `&connectionId=…` (or `&error=…`)."""
    return f"{public_base_url.rstrip('/')}{RETURN_PATH}?{urlencode({'state': state})}"


def _schedule_id(host: StaffMember) -> str:
    if not host.events_schedule_id:
        raise NotAllowedError(f"host {host.email} has no events schedule yet (Wix creates it with the host)")
    return host.events_schedule_id


def connect_oauth(
    wix: WixClient,
    *,
    host_email: str,
    provider_name: str,
    instance_id: str,
    public_base_url: str,
    secret_key: str,
    now: datetime,
) -> OAuthStart:
    """Start an OAuth connection of the host's calendar; the host opens the URL to grant access.

    The return URL carries a state bound to this site and the host's schedule (oauth_state.py).
    """
    host = find_host(wix, host_email)
    provider = find_provider(wix, provider_name)
    if "OAUTH" not in provider.connect_methods:
        raise NotAllowedError(
            f"{provider.name} connects with {', '.join(provider.connect_methods) or 'nothing'}, not OAuth: "
            "use --account-email and --password-stdin"
        )
    schedule_id = _schedule_id(host)
    token, state = issue_state(secret_key, instance_id=instance_id, schedule_id=schedule_id, now=now)
    redirect_url = return_url(public_base_url, token)
    url = wix.calendars.connect_by_oauth(schedule_id, provider.id, redirect_url)
    return OAuthStart(host_email, provider.name or provider.id, url, redirect_url, state.expires_at)


def connect_credentials(
    wix: WixClient, *, host_email: str, provider_name: str, account_email: str, password: str
) -> HostCalendar:
    """Connect the host's calendar with the account's email and (app-specific) password."""
    host = find_host(wix, host_email)
    provider = find_provider(wix, provider_name)
    if "CREDENTIALS" not in provider.connect_methods:
        raise NotAllowedError(
            f"{provider.name} connects by OAuth: leave out --account-email/--password-stdin"
        )
    connection = wix.calendars.connect_by_credentials(
        _schedule_id(host), provider.id, account_email, password
    )
    return HostCalendar.from_connection(connection)


def provider_needs_credentials(wix: WixClient, provider_name: str) -> bool:
    """Whether the provider connects by credentials only."""
    provider = find_provider(wix, provider_name)
    return "OAUTH" not in provider.connect_methods and "CREDENTIALS" in provider.connect_methods


def calendar_status(wix: WixClient, host_email: str | None = None) -> list[HostCalendars]:
    """Each host's connections with status and error reason (one host with an email)."""
    hosts = [find_host(wix, host_email)] if host_email else wix.staff.query()
    schedule_ids = [h.events_schedule_id for h in hosts if h.events_schedule_id]
    connections = wix.calendars.list_connections(schedule_ids).connections if schedule_ids else ()
    return [
        HostCalendars(
            h.name,
            h.email,
            h.events_schedule_id,
            [HostCalendar.from_connection(c) for c in connections if c.schedule_id == h.events_schedule_id],
        )
        for h in hosts
    ]


def set_sync(
    wix: WixClient, *, host_email: str, import_on: bool | None, export_on: bool | None
) -> list[HostCalendar]:
    """Turn import (busy times) and export (bookings) on or off on the host's live connections."""
    host = find_host(wix, host_email)
    listed = wix.calendars.list_connections([_schedule_id(host)]).connections
    live = [c for c in listed if c.status != "DISCONNECTED"]
    if not live:
        raise NotAllowedError(f"host {host_email} has no connected calendar: `calendars connect` first")
    updated = []
    for c in live:
        want_import = c.import_enabled if import_on is None else import_on
        want_export = c.export_enabled if export_on is None else export_on
        if (want_import, want_export) != (c.import_enabled, c.export_enabled):
            c = wix.calendars.update_sync_config(
                c.id, sync_config(import_enabled=want_import, export_enabled=want_export)
            )
        updated.append(HostCalendar.from_connection(c))
    return updated


@dataclass(frozen=True)
class ConnectedCalendar:
    """What the OAuth return page shows: the connection, whether import was just turned on."""

    calendar: HostCalendar
    import_turned_on: bool
    event_id: int | None  # the watcher's "first seen" event, to publish


def accept_oauth_return(
    wix: WixClient, sessions: Sessions, state: OAuthState, connection_id: str, now: datetime
) -> ConnectedCalendar:
    """Read the new connection, record it for the watcher, make sure busy times are imported.

    `state` is verified (read_state) and names an installed site. A state used before is refused
    before any Wix call; a connection of another schedule than the state's after the one read, with
    nothing written. The state counts as used once the connection is recorded; if Wix fails first
    (a 502 page), reloading the page tries again.
    """
    ledger = Ledger(sessions)
    if ledger.is_done(state.ledger_key):
        raise OAuthReturnRefusedError("used", "this OAuth state was used before")
    try:
        connection = wix.calendars.get_connection(connection_id)
    except WixNotFoundError:
        raise NotFoundError("unknown calendar connection") from None
    if connection.schedule_id != state.schedule_id:
        raise OAuthReturnRefusedError(
            "foreign", "the connection belongs to another schedule than the state's"
        )
    try:
        with ledger.once(state.ledger_key) as first_time:
            if not first_time:
                raise OAuthReturnRefusedError("used", "this OAuth state was used meanwhile")
            event_id = record_connection_seen(sessions, state.instance_id, connection.raw, now)
            turned_on = False
            if connection.status != "DISCONNECTED" and not connection.import_enabled:
                connection = wix.calendars.update_sync_config(
                    connection.id, sync_config(import_enabled=True, export_enabled=connection.export_enabled)
                )
                turned_on = True
    except LedgerBusyError:
        raise OAuthReturnRefusedError("used", "this OAuth state is being used by another request") from None
    return ConnectedCalendar(HostCalendar.from_connection(connection), turned_on, event_id)
