"""The web app (with the OAuth return page) on settings pointed at the fake Wix API and a tmp store."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from processor.config import load_settings
from processor.devtools.fake_wix import FakeWix
from processor.store.db import make_engine
from processor.store.migrate import upgrade
from processor.web import create_app

PUBLIC_BASE_URL = "https://meetings-processor.example"


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
            **credentials,
        }
    )
    return create_app(settings, configure_logs=False)
