"""Wix access tokens in the `wix_tokens` table, so every worker process shares one per instance."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from processor.store.db import Sessions, session_scope, utcnow
from processor.store.models import WixToken


class StoreTokenCache:
    """A token cache (the shape processor.wix.auth.TokenCache asks for) backed by the store."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

    def get(self, instance_id: str) -> tuple[str, datetime] | None:
        """The stored token of an instance and its expiry, or None."""
        with session_scope(self._sessions) as session:
            row = session.scalar(select(WixToken).where(WixToken.instance_id == instance_id))
            return (row.access_token, row.expires_at) if row is not None else None

    def put(self, instance_id: str, token: str, expires_at: datetime) -> None:
        """Store (or replace) an instance's token; two processes storing at once both succeed."""
        values = {"access_token": token, "expires_at": expires_at, "fetched_at": utcnow()}
        with session_scope(self._sessions) as session:
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
            statement = insert(WixToken).values(instance_id=instance_id, **values)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["instance_id"], set_={name: statement.excluded[name] for name in values}
                )
            )

    def drop(self, instance_id: str) -> None:
        """Forget an instance's token (Wix refused it)."""
        with session_scope(self._sessions) as session:
            session.execute(delete(WixToken).where(WixToken.instance_id == instance_id))

    def __repr__(self) -> str:
        return "StoreTokenCache()"
