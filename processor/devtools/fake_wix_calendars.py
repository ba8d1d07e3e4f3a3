"""Fake Wix: External Calendars V2 providers and connections (no events: state is polled)."""

from __future__ import annotations

import base64
import secrets
from urllib.parse import urlencode

from processor.devtools.fake_wix_core import (
    FakeRequest,
    FakeState,
    FakeWixError,
    JsonDict,
    RouteTable,
    invalid_field,
)

routes = RouteTable()
CALENDARS = "/bookings/v2/external-calendars"
GOOGLE_PROVIDER_ID = "7a5f4c52-0c8a-4d8e-9a61-2b1f6c3d9e01"
MICROSOFT_PROVIDER_ID = "0b3e2d1c-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
APPLE_PROVIDER_ID = "c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f"
PROVIDERS = [
    {"id": GOOGLE_PROVIDER_ID, "name": "Google", "calendarType": "GOOGLE", "methods": ["OAUTH"]},
    {"id": MICROSOFT_PROVIDER_ID, "name": "Microsoft", "calendarType": "MICROSOFT", "methods": ["OAUTH"]},
    {"id": APPLE_PROVIDER_ID, "name": "Apple", "calendarType": "I_CAL", "methods": ["CREDENTIALS"]},
]
OAUTH_CONSENT_PATH = "/fake-oauth/consent"


def default_sync_config(import_enabled: bool = True, export_enabled: bool = True) -> JsonDict:
    return {
        "listEventFromCalendars": {"enabled": import_enabled, "primaryCalendar": {}},
        "syncToCalendar": {"enabled": export_enabled, "primaryCalendar": {}},
    }


def build_connection(
    state: FakeState,
    schedule_id: str,
    *,
    provider_id: str = GOOGLE_PROVIDER_ID,
    status: str = "SYNCED",
    error_reason: str | None = None,
    email: str | None = None,
    sync_config: JsonDict | None = None,
    connection_id: str | None = None,
) -> JsonDict:
    """A stored connection with a long opaque id, like Wix's (or `connection_id`, e.g. one with
    `/`, `+` and `=` to check that ids travel percent-encoded)."""
    provider = _provider(provider_id)
    raw_id = f"{provider['calendarType']}:{schedule_id}:{secrets.token_hex(16)}"
    connection: JsonDict = {
        "id": connection_id or base64.urlsafe_b64encode(raw_id.encode()).decode().rstrip("="),
        "providerId": provider_id,
        "scheduleId": schedule_id,
        "userId": None,
        "appId": None,
        "calendarType": provider["calendarType"],
        "externalAccountEmail": email,
        "status": status,
        "syncConfig": sync_config or default_sync_config(),
    }
    if error_reason:
        connection["errorReason"] = error_reason
    state.connections[connection["id"]] = connection
    return connection


def complete_oauth(state: FakeState, oauth_state: str) -> tuple[JsonDict, str]:
    """The host consented: create the connection; returns it and the redirect back to the app."""
    pending = state.pending_oauth.pop(oauth_state, None)
    if pending is None:
        raise FakeWixError(404, "unknown or used OAuth state", code="NOT_FOUND")
    connection = build_connection(
        state, pending["scheduleId"], provider_id=pending["providerId"], status="CONNECTED"
    )
    separator = "&" if "?" in pending["redirectUrl"] else "?"
    redirect = pending["redirectUrl"] + separator + urlencode({"connectionId": connection["id"]})
    return connection, redirect


def _provider(provider_id: str) -> JsonDict:
    for provider in PROVIDERS:
        if provider["id"] == provider_id:
            return provider
    raise FakeWixError(404, f"provider {provider_id} not found", code="PROVIDER_NOT_FOUND")


def _premium(state: FakeState) -> None:
    if not state.premium:
        raise FakeWixError(403, "premium plan required", code="PREMIUM_FEATURE_NOT_ENABLED")


def _connection_or_404(state: FakeState, connection_id: str) -> JsonDict:
    _premium(state)
    if connection_id not in state.connections:
        raise FakeWixError(404, "connection not found", code="CONNECTION_NOT_FOUND")
    return state.connections[connection_id]


def _check_connect(state: FakeState, req: FakeRequest, method: str) -> JsonDict:
    _premium(state)
    for key in ("scheduleId", "providerId"):
        if not req.body.get(key):
            raise invalid_field(key, "must not be empty")
    provider = _provider(req.body["providerId"])
    if method not in provider["methods"]:
        raise FakeWixError(
            400, f"{provider['name']} does not connect by {method}", code="NOT_SUPPORTED_BY_PROVIDER"
        )
    return provider


@routes.add("GET", f"{CALENDARS}/providers")
def list_providers(state: FakeState, req: FakeRequest) -> JsonDict:
    _premium(state)
    providers = [
        {
            "id": p["id"],
            "name": p["name"],
            "calendarType": p["calendarType"],
            "features": {
                "connectMethods": p["methods"],
                "updateSyncConfig": True,
                "listEventFromCalendars": "PRIMARY_CALENDAR_ONLY",
                "syncToCalendar": "PRIMARY_CALENDAR_ONLY",
            },
        }
        for p in PROVIDERS
    ]
    return {"providers": providers}


@routes.add("POST", f"{CALENDARS}/connections:connectByOAuth")
def connect_by_oauth(state: FakeState, req: FakeRequest) -> JsonDict:
    _check_connect(state, req, "OAUTH")
    if not req.body.get("redirectUrl"):
        raise invalid_field("redirectUrl", "must not be empty")
    oauth_state = secrets.token_urlsafe(16)
    state.pending_oauth[oauth_state] = dict(req.body)
    return {"oauthUrl": f"{req.base_url}{OAUTH_CONSENT_PATH}?{urlencode({'state': oauth_state})}"}


@routes.add("POST", f"{CALENDARS}/connections:connectByCredentials")
def connect_by_credentials(state: FakeState, req: FakeRequest) -> JsonDict:
    provider = _check_connect(state, req, "CREDENTIALS")
    if not req.body.get("email") or req.body.get("password") in (None, "", "wrong"):
        raise FakeWixError(400, "the provider refused these credentials", code="BAD_CREDENTIALS")
    connection = build_connection(
        state, req.body["scheduleId"], provider_id=provider["id"], status="CONNECTED", email=req.body["email"]
    )
    return {"connection": connection}


@routes.add("GET", f"{CALENDARS}/connections")
def list_connections(state: FakeState, req: FakeRequest) -> JsonDict:
    _premium(state)
    schedule_ids = set(req.query.get("scheduleIds", []))  # none given: all (assumption #23)
    partial = req.param("partialFailure") == "true"
    wanted = [c for c in state.connections.values() if not schedule_ids or c["scheduleId"] in schedule_ids]
    failed = sorted({c["providerId"] for c in wanted} & state.failed_provider_ids)
    if failed and not partial:
        raise FakeWixError(500)
    return {
        "connections": [c for c in wanted if c["providerId"] not in failed],
        "failedProviderIds": failed,
    }


@routes.add("GET", f"{CALENDARS}/connections/(?P<connection_id>[^/]+)")
def get_connection(state: FakeState, req: FakeRequest, connection_id: str) -> JsonDict:
    return {"connection": _connection_or_404(state, connection_id)}


@routes.add("PATCH", f"{CALENDARS}/connections/(?P<connection_id>[^/]+)/sync-config")
def update_sync_config(state: FakeState, req: FakeRequest, connection_id: str) -> JsonDict:
    connection = _connection_or_404(state, connection_id)
    if connection["status"] == "DISCONNECTED":
        raise FakeWixError(428, "connection is not connected", code="CONNECTION_NOT_CONNECTED")
    config = req.body.get("syncConfig")
    if not isinstance(config, dict):
        raise invalid_field("syncConfig", "must not be empty")
    connection["syncConfig"] = {**connection["syncConfig"], **config}
    return {"connection": connection}


@routes.add("POST", f"{CALENDARS}/connections/(?P<connection_id>[^/]+)/disconnect")
def disconnect(state: FakeState, req: FakeRequest, connection_id: str) -> JsonDict:
    connection = _connection_or_404(state, connection_id)
    if connection["status"] == "DISCONNECTED":
        raise FakeWixError(428, "already disconnected", code="CONNECTION_ALREADY_DISCONNECTED")
    connection["status"] = "DISCONNECTED"
    connection.pop("errorReason", None)
    return {"connection": connection}
