"""The console's blueprint: HTML pages under /admin (the JSON API at /admin/api is admin.py's)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/admin",
    static_folder="../static/console",
    static_url_path="/static",
)
