"""The event store: models, queries and migrations (SQLite by default, PostgreSQL in production)."""
