"""The event store: SQLAlchemy models, queries and migrations (SQLite by default, PostgreSQL in production)."""
