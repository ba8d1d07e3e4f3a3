"""GET /calendars/connected: the page a host lands on after connecting a calendar by OAuth."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("calendars_page", __name__)
