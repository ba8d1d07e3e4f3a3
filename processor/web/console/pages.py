"""Rendering console pages: the shared context (role, navigation) and the error page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, render_template

NAV = (
    ("console.home", "At a glance"),
    ("console.events", "Events"),
    ("console.attention", "Needs attention"),
    ("console.sites", "Sites"),
)


def page(template: str, *, status: int = 200, **context: Any) -> Response:
    """A console page from templates/console/, with the role and navigation."""
    from processor.web.console.security import current_role  # security renders error pages too

    role = current_role()
    html = render_template(
        f"console/{template}",
        nav=NAV,
        role=role,
        is_admin=role == "admin",
        now=datetime.now(UTC),
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


def error_page(status: int, heading: str, message: str) -> Response:
    """A plain error page (the security headers are added by the blueprint)."""
    return page("error.html", status=status, heading=heading, message=message)
