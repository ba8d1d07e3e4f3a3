"""The web app (with the OAuth return page) on settings pointed at the fake Wix API and a tmp store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import Flask

from processor.config import Settings, load_settings
from processor.devtools.fake_wix import FakeWix
from processor.meetings.oauth_state import issue_state
from processor.store.db import make_engine, utcnow
from processor.store.migrate import upgrade
from processor.web import create_app

PUBLIC_BASE_URL = "https://meetings-processor.example"
SECRET_KEY = "calendar-page-tests-secret-key-0123456789"


def make_page_app(fake: FakeWix, public_key_pem: str, tmp_path: Path, *, app_mode: bool = False) -> Flask:
    """create_app() on a migrated SQLite store and an embedded broker under tmp_path."""
    database_url = f"sqlite:///{tmp_path / 'page-store.sqlite3'}"
    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    credentials = (
        {"WIX_APP_ID": fake.app_id, "WIX_APP_SECRET": fake.app_secret}
        if app_mode
        else {"WIX_API_KEY": fake.api_key, "WIX_SITE_ID": fake.site_id}
    )
    settings = load_settings(
        {
            "WIX_PUBLIC_KEY": public_key_pem,
            "WIX_API_BASE_URL": fake.url,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "LOG_FORMAT": "json",
            "SECRET_KEY": SECRET_KEY,
            **credentials,
        }
    )
    return create_app(settings, configure_logs=False)


def signed_state(
    settings: Settings | str,
    schedule_id: str,
    instance_id: str,
    *,
    now: datetime | None = None,
) -> str:
    """A state as `calendars connect` makes it (with these settings' SECRET_KEY, or this key)."""
    key = settings if isinstance(settings, str) else settings.secret_key
    token, _ = issue_state(key, instance_id=instance_id, schedule_id=schedule_id, now=now or utcnow())
    return token
