"""Accessors for what create_app() put in app.extensions, and one store session per request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Celery
from flask import current_app, g
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from processor.config import Settings
from processor.queue import Doorbell
from processor.store.db import session_scope

STORE_ERRORS = (SQLAlchemyError,)


def current_settings() -> Settings:
    settings: Settings = current_app.extensions["settings"]
    return settings


def current_celery() -> Celery:
    celery: Celery = current_app.extensions["celery"]
    return celery


def current_doorbell() -> Doorbell:
    doorbell: Doorbell = current_app.extensions["doorbell"]
    return doorbell


def public_keys() -> list[Any]:
    keys: list[Any] = current_app.extensions["public_keys"]
    return keys


def db_session() -> Session:
    """The request's session, closed on teardown."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["sessions"]()
    session: Session = g.db_session
    return session


def close_request_session(_exc: BaseException | None) -> None:
    """Teardown: close the request's session if one was opened."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def short_session() -> Iterator[Session]:
    """A unit of work of its own (commit, close). The console reads through these, so no transaction
    stays open across calls: on SQLite every transaction takes the write lock (BEGIN IMMEDIATE)."""
    with session_scope(current_app.extensions["sessions"]) as session:
        yield session
