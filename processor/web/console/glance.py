"""/admin: the sign-in form for a visitor, "at a glance" for a signed-in person; sign-in and sign-out."""

from __future__ import annotations

from datetime import timedelta

import structlog
from flask import current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue

from processor.store import console_stats
from processor.store.db import utcnow
from processor.web.console import security
from processor.web.console.blueprint import bp
from processor.web.console.chart import build_chart
from processor.web.console.pages import page
from processor.web.context import current_settings, short_session
from processor.web.health import check_readiness

log = structlog.get_logger(__name__)
CHART_HOURS, BUCKET_MINUTES = 24, 10


@bp.get("/")
@bp.get("")  # registered first, so url_for gives /admin
def home() -> ResponseReturnValue:
    """Front page when signed in, otherwise the sign-in form."""
    if security.current_role() is None:
        return page("signin.html", next=security.safe_next(request.args.get("next")))
    now = utcnow()
    bucket_start = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % BUCKET_MINUTES)
    since = (
        bucket_start + timedelta(minutes=BUCKET_MINUTES) - timedelta(hours=CHART_HOURS)
    )  # ends with now's bar
    with short_session() as session:
        series = console_stats.per_minute_by_status(session, since, bucket_minutes=BUCKET_MINUTES)
        counts = console_stats.counts_by_status(session)
        oldest = console_stats.oldest_waiting(session)
        durations = console_stats.processing_durations(session, now - timedelta(hours=1))
    return page(
        "glance.html",
        chart=build_chart(series, since=since, hours=CHART_HOURS, bucket_minutes=BUCKET_MINUTES),
        counts=counts,
        durations=durations,
        oldest_waiting=oldest,
        oldest_age=(now - oldest).total_seconds() if oldest else None,
        queue_depth=counts.get("received", 0) + counts.get("queued", 0),
        readiness=check_readiness(current_app._get_current_object()),  # type: ignore[attr-defined]
    )


@bp.post("/sign-in")
def sign_in() -> ResponseReturnValue:
    """Check the token (rate-limited per remote address), then start a session for its role."""
    address = request.remote_addr or "unknown"
    limiter = security.limiter()
    wait = limiter.retry_after(address)
    if wait:
        log.warning("console.sign_in_limited", remote=address, retry_after=wait)
        response = page(
            "signin.html", status=429, next=_next(), error="Too many wrong tokens. Wait a few minutes."
        )
        response.headers["Retry-After"] = str(wait)
        return response
    role = security.role_for_token(current_settings(), request.form.get("token", ""))
    if role is None:
        failures = limiter.failed(address)
        log.warning("console.sign_in_failed", remote=address, failures=failures)
        return page("signin.html", status=401, next=_next(), error="That token is not valid.")
    security.sign_in(role)
    log.info("console.signed_in", role=role, remote=address)
    return redirect(_next(), code=303)


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """End the session (any role)."""
    from flask import session

    session.clear()
    return redirect(url_for("console.home"), code=303)


def _next() -> str:
    return security.safe_next(request.form.get("next"))
