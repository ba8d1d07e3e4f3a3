"""GET /calendars/connected: the page a host lands on after connecting a calendar by OAuth."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from processor.meetings.calendars import accept_oauth_return
from processor.meetings.errors import NotFoundError
from processor.store import sites
from processor.store.db import Sessions, utcnow
from processor.store.tokens import StoreTokenCache
from processor.web.context import current_doorbell, current_settings
from processor.wix import WixError, WixNotConfiguredError, make_wix_client

bp = Blueprint("calendars_page", __name__, template_folder="templates")

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
STATUS_LINES = {
    "CONNECTED": "It's connected. Your busy times will start to sync within a few minutes.",
    "SYNC_IN_PROGRESS": "It's connected and syncing now; this can take a few minutes.",
    "SYNCED": "It's connected and in sync.",
    "ERROR": "It's connected, but Wix reports a problem with it. Please connect it again.",
    "DISCONNECTED": "This connection has been disconnected. Please connect your calendar again.",
}
MAX_ID_LENGTH = 1000
CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _page(status: int, heading: str, message: str, **details: object) -> Response:
    html = render_template(
        "calendar_connected.html", heading=heading, message=message, ok=status == 200, **details
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the URL carries the connection id
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _instance_id(sessions: Sessions) -> str | None:
    """API-key mode: WIX_SITE_ID. App mode: the `instanceId` the connect command put in the redirect."""
    settings = current_settings()
    given = request.args.get("instanceId")
    installed = sites.installed_instance_ids(sessions, settings)
    if settings.wix_auth_mode == "app":
        return given if given in installed else None
    site_id = settings.wix_site_id
    return site_id if site_id in installed and given in (None, site_id) else None


@bp.get("/calendars/connected")
def calendar_connected() -> Response:
    """Confirm the host's new calendar connection in plain words, or say what went wrong."""
    error = request.args.get("error")
    if error is not None:
        heading, message = ERRORS.get(error, ERRORS["internal"])
        return _page(400, heading, message)
    connection_id = (request.args.get("connectionId") or "").strip()
    if not connection_id or len(connection_id) > MAX_ID_LENGTH:
        return _page(400, "This link is incomplete", NOT_FOUND[1])
    sessions: Sessions = current_app.extensions["sessions"]
    instance_id = _instance_id(sessions)
    if instance_id is None:
        return _page(404, *NOT_FOUND)
    try:
        wix = make_wix_client(current_settings(), instance_id, StoreTokenCache(sessions))
        accepted = accept_oauth_return(wix, sessions, instance_id, connection_id, utcnow())
    except NotFoundError:
        return _page(404, *NOT_FOUND)
    except (WixError, WixNotConfiguredError) as exc:
        current_app.logger.warning("calendar return page: Wix call failed: %s", type(exc).__name__)
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
