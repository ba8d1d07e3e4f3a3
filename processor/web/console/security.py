"""Who may use the console: sign-in by token, the signed session, CSRF, roles, headers, a sign-in rate limit.

`ADMIN_TOKEN` signs in with full access, `ADMIN_VIEWER_TOKEN` read-only: every page, no action (every
POST but sign-out answers 403). The session is Flask's signed cookie (`SECRET_KEY`); it keeps the role,
when it signed in (8 h at most) and a fingerprint of the token, so changing a token signs its sessions out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from datetime import timedelta
from urllib.parse import urlsplit

import structlog
from flask import Flask, Response, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from processor.config import Settings, server_secret
from processor.web.console.blueprint import bp
from processor.web.console.pages import error_page
from processor.web.context import current_settings

log = structlog.get_logger(__name__)

ADMIN, VIEWER = "admin", "viewer"
SESSION_LIFETIME = timedelta(hours=8)
CSRF_FIELD = "csrf_token"
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Endpoints an anonymous visitor may reach, and the one POST a viewer may make.
PUBLIC = {"console.home", "console.sign_in", "console.static"}
VIEWER_POSTS = {"console.sign_out"}


def configure(app: Flask, settings: Settings) -> None:
    """Session cookie and template settings; the secret is read (or made) only when the console is on."""
    app.jinja_env.autoescape = True  # every template, whatever its file name
    if not console_enabled(settings):
        return
    app.secret_key = server_secret(settings)
    app.config.update(
        SESSION_COOKIE_NAME="wix_meetings_console",
        SESSION_COOKIE_PATH="/admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        SESSION_REFRESH_EACH_REQUEST=False,  # the lifetime counts from sign-in, not from the last click
    )


def console_enabled(settings: Settings) -> bool:
    """The console exists only when one of its tokens is set."""
    return bool(settings.admin_token or settings.admin_viewer_token)


class SignInLimiter:
    """At most `attempts` wrong tokens per remote address in `window` seconds (in this process's memory).

    Each web process counts on its own, so with N gunicorn workers an address gets up to N times
    `attempts` tries per window: still far too few to guess a token. Past `max_addresses`
    addresses, the oldest is forgotten first.
    """

    def __init__(self, attempts: int = 5, window: float = 300.0, max_addresses: int = 10_000) -> None:
        self.attempts, self.window, self.max_addresses = attempts, window, max_addresses
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int:
        """Seconds until this address may try again (0: now)."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.attempts:
                return 0
            return max(1, int(failures[0] + self.window - time.monotonic()) + 1)

    def failed(self, address: str) -> int:
        """Count one wrong token; how many in the window."""
        with self._lock:
            failures = self._recent(address)
            failures.append(time.monotonic())
            self._failures[address] = failures
            self._failures.move_to_end(address)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
            return len(failures)

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.get(address, deque())
        while failures and failures[0] < time.monotonic() - self.window:
            failures.popleft()
        return failures


def limiter() -> SignInLimiter:
    """This process's limiter."""
    from flask import current_app

    found: SignInLimiter = current_app.extensions.setdefault("console_sign_in_limiter", SignInLimiter())
    return found


def role_for_token(settings: Settings, given: str) -> str | None:
    """ADMIN, VIEWER or None; both tokens are always compared (constant time), so timing tells nothing."""
    given_bytes = given.encode()
    is_admin = _same(given_bytes, settings.admin_token)
    is_viewer = _same(given_bytes, settings.admin_viewer_token)
    return ADMIN if is_admin else VIEWER if is_viewer else None


def _same(given: bytes, expected: str | None) -> bool:
    if not expected:
        hmac.compare_digest(given, given)  # same work either way
        return False
    return hmac.compare_digest(given, expected.encode())


def token_mark(settings: Settings, role: str) -> str:
    """A fingerprint of the role's current token (keyed by the secret), kept in the session."""
    from flask import current_app

    token = settings.admin_token if role == ADMIN else settings.admin_viewer_token
    key = str(current_app.secret_key).encode() + b"console-token-mark"
    return hmac.new(key, (token or "").encode(), hashlib.sha256).hexdigest()[:32]


def sign_in(role: str) -> None:
    """A fresh session for this role (a new CSRF token too)."""
    session.clear()
    session.permanent = True
    session.update(
        role=role,
        signed_in_at=int(time.time()),
        mark=token_mark(current_settings(), role),
        csrf=secrets.token_urlsafe(32),
    )


def current_role() -> str | None:
    """The signed-in role, or None when anonymous, expired, or signed in with a token since changed."""
    role = session.get("role")
    if role not in (ADMIN, VIEWER):
        return None
    settings = current_settings()
    if time.time() - float(session.get("signed_in_at", 0)) > SESSION_LIFETIME.total_seconds():
        return None
    if not hmac.compare_digest(str(session.get("mark", "")), token_mark(settings, role)):
        return None
    if (role == ADMIN and not settings.admin_token) or (role == VIEWER and not settings.admin_viewer_token):
        return None
    return str(role)


def csrf_token() -> str:
    """This session's CSRF token (made on first use), for every POST form."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def csrf_ok() -> bool:
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD, "")
    return bool(expected) and hmac.compare_digest(given.encode(), str(expected).encode())


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path of the console only (never another site)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("console.home")


@bp.before_request
def guard() -> ResponseReturnValue | None:
    """404 without tokens; CSRF on every POST; sign-in for every page; admin for every action."""
    if not console_enabled(current_settings()):
        return {"error": "not_found"}, 404
    endpoint = request.endpoint or ""
    if endpoint == "console.static":
        return None
    if request.method == "POST" and not csrf_ok():
        log.warning("console.csrf_refused", endpoint=endpoint, remote=request.remote_addr)
        return error_page(403, "This form has expired", "Reload the page and try again.")
    if endpoint in PUBLIC:
        return None
    role = current_role()
    if role is None:
        if request.method == "GET":
            return redirect(url_for("console.home", next=request.full_path.rstrip("?")))
        return error_page(401, "Signed out", "Sign in again to do this.")
    if request.method == "POST" and endpoint not in VIEWER_POSTS and role != ADMIN:
        log.warning("console.read_only_refused", endpoint=endpoint, remote=request.remote_addr)
        return error_page(403, "Read-only access", "The viewer token can see every page but change nothing.")
    return None


@bp.after_request
def security_headers(response: Response) -> Response:
    """A strict CSP, no sniffing, no referrer, no framing; pages (not assets) are never cached."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_global()
def console_csrf_token() -> str:
    return csrf_token()


@bp.errorhandler(404)
def not_found(_exc: Exception) -> ResponseReturnValue:
    return error_page(404, "Not found", "Nothing here: the event or job may not exist, or the link is wrong.")


@bp.errorhandler(400)
def bad_request(_exc: Exception) -> ResponseReturnValue:
    return error_page(400, "That request was not understood", "Go back and try again.")
