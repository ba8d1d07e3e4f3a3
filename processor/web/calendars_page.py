"""GET /calendars/connected: the page a host lands on after connecting a calendar by OAuth.

Only a return carrying the state `calendars connect` signed (processor/meetings/oauth_state.py) is
taken: without it, or with a forged, expired, used or foreign one, the host gets a page in plain
words, Wix is not called and nothing is written.
"""

from __future__ import annotations

import structlog
from flask import Blueprint, Response, current_app, render_template, request

from processor.config import Settings, server_secret
from processor.meetings.calendars import accept_oauth_return
from processor.meetings.errors import NotFoundError
from processor.meetings.oauth_state import OAuthReturnRefusedError, OAuthState, read_state
from processor.store import sites
from processor.store.db import Sessions, utcnow
from processor.store.tokens import StoreTokenCache
from processor.web.context import current_doorbell, current_settings
from processor.wix import WixError, WixNotConfiguredError, make_wix_client
from processor.wix_budgets import shared_limiters

bp = Blueprint("calendars_page", __name__, template_folder="templates")
log = structlog.get_logger(__name__)

CALENDAR_NAMES = {
    "GOOGLE": "Google Calendar",
    "OUTLOOK": "Outlook calendar",
    "OFFICE_365": "Microsoft 365 calendar",
    "MICROSOFT": "Microsoft calendar",
    "I_CAL": "Apple iCloud calendar",
}
ERRORS = {
    "reject": (
        "The calendar was not connected",
        "Access to your calendar was not granted, so nothing was connected. "
        "To try again, open the connection link you were sent once more and choose Allow.",
    ),
    "unsupported": (
        "This calendar can't be connected",
        "Your calendar account doesn't support this kind of connection. "
        "Try another calendar account, or ask the site's team for help.",
    ),
    "internal": (
        "Something went wrong while connecting",
        "The calendar provider or Wix had a problem, and nothing was connected. "
        "Please open the connection link again in a few minutes.",
    ),
}
NOT_FOUND = (
    "We couldn't find this calendar connection",
    "This link doesn't match a calendar connection of this site, so nothing was changed. "
    "Please start again from the connection link you were sent.",
)
NOT_OURS = (
    "This link isn't valid",
    "This page only confirms a calendar connection started from the link the site's team sent you, "
    "and this link isn't one of them, so nothing was changed. "
    "Please start again from the connection link you were sent.",
)
REFUSED = {
    "missing": (400, *NOT_OURS),
    "invalid": (400, *NOT_OURS),
    "expired": (
        400,
        "This link has expired",
        "Calendar connection links work for 72 hours and this one is older, so nothing was changed. "
        "Please ask the site's team for a new connection link.",
    ),
    "site": (404, *NOT_FOUND),
    "used": (
        409,
        "This link was already used",
        "This connection link has already confirmed a calendar, so nothing was changed now. "
        "If you just connected your calendar, it is connected and you can close this page; "
        "otherwise ask the site's team for a new connection link.",
    ),
    "foreign": (404, *NOT_FOUND),
}
STATUS_LINES = {
    "CONNECTED": "It's connected. Your busy times will start to sync within a few minutes.",
    "SYNC_IN_PROGRESS": "It's connected and syncing now; this can take a few minutes.",
    "SYNCED": "It's connected and in sync.",
    "ERROR": "It's connected, but Wix reports a problem with it. Please connect it again.",
    "DISCONNECTED": "This connection has been disconnected. Please connect your calendar again.",
}
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _page(status: int, heading: str, message: str, **details: object) -> Response:
    html = render_template(
        "calendar_connected.html", heading=heading, message=message, ok=status == 200, **details
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"  # the URL carries the state and connection id
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _refused(refusal: OAuthReturnRefusedError) -> Response:
    log.warning(
        "calendar_return.refused", reason=refusal.kind, detail=str(refusal), remote=request.remote_addr
    )
    status, heading, message = REFUSED[refusal.kind]
    return _page(status, heading, message)


def _check_site(state: OAuthState, sessions: Sessions, settings: Settings) -> None:
    """The state's site must be one this processor serves (API-key mode: WIX_SITE_ID only)."""
    installed = sites.installed_instance_ids(sessions, settings)
    if settings.wix_auth_mode == "api_key" and state.instance_id != settings.wix_site_id:
        installed = []
    if state.instance_id not in installed:
        raise OAuthReturnRefusedError("site", "the state names a site this processor does not serve")


@bp.get("/calendars/connected")
def calendar_connected() -> Response:
    """Confirm the host's new calendar connection in plain words, or say what went wrong."""
    error = request.args.get("error")
    if error is not None:
        heading, message = ERRORS.get(error, ERRORS["internal"])
        return _page(400, heading, message)
    settings = current_settings()
    sessions: Sessions = current_app.extensions["sessions"]
    now = utcnow()
    try:
        state = read_state(server_secret(settings), request.args.get("state"), now=now)
        _check_site(state, sessions, settings)
    except OAuthReturnRefusedError as refusal:
        return _refused(refusal)  # no Wix call, no write
    connection_id = (request.args.get("connectionId") or "").strip()
    if not connection_id:
        log.warning("calendar_return.no_connection_id", remote=request.remote_addr)
        return _page(400, "This link is incomplete", NOT_FOUND[1])
    try:
        limiters = shared_limiters(settings, sessions)  # the workers' budget of the site, not one beside it
        wix = make_wix_client(
            settings, state.instance_id, StoreTokenCache(sessions), limiter_factory=limiters
        )
        accepted = accept_oauth_return(wix, sessions, state, connection_id, now)
    except OAuthReturnRefusedError as refusal:
        return _refused(refusal)
    except NotFoundError:  # also an id that cannot be a Wix id: refused before any request
        log.warning("calendar_return.unknown_connection", remote=request.remote_addr)
        return _page(404, *NOT_FOUND)
    except (WixError, WixNotConfiguredError) as exc:  # WixBadResponseError too: a 2xx of the wrong shape
        log.warning("calendar_return.wix_failed", error=type(exc).__name__, detail=str(exc)[:200])
        return _page(
            502,
            "We couldn't confirm your calendar yet",
            "Wix didn't answer as expected. Please reload this page in a minute.",
        )
    if accepted.event_id is not None:
        current_doorbell().ring(accepted.event_id)  # after the commit, never before
    calendar = accepted.calendar
    name = CALENDAR_NAMES.get(calendar.calendar_type or "", "calendar")
    return _page(
        200,
        f"Your {name} is connected" if calendar.status not in ("ERROR", "DISCONNECTED") else f"Your {name}",
        STATUS_LINES.get(calendar.status or "", "It's connected."),
        calendar_name=name,
        account_email=calendar.account_email,
        import_enabled=calendar.import_enabled,
        export_enabled=calendar.export_enabled,
    )
