"""WSGI entry point for gunicorn: `processor.web.wsgi:app`."""

from processor.web import create_app

app = create_app()
