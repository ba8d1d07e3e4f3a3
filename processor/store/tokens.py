"""Wix access tokens in the `wix_tokens` table, so every worker process shares one per instance.

Each process also keeps the tokens it has seen in memory: a Wix call asks for its token every time,
and reading the store for it cost a round trip (and a pool checkout) per call. The store is read
only on a miss (a token this process has not seen yet, or one it dropped), so processes still share
a token: the first process to fetch one stores it, and the others read it from there.
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import delete, select

from processor.store.db import Sessions, session_scope, upsert_insert, utcnow
from processor.store.models import WixToken


class StoreTokenCache:
    """A token cache (the shape processor.wix.auth.TokenCache asks for) backed by the store."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._memory: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, instance_id: str) -> tuple[str, datetime] | None:
        """The instance's token and its expiry (this process's copy, else the stored one), or None."""
        with self._lock:
            known = self._memory.get(instance_id)
        if known is not None:
            return known
        with session_scope(self._sessions) as session:
            row = session.execute(
                select(WixToken.access_token, WixToken.expires_at).where(WixToken.instance_id == instance_id)
            ).one_or_none()
        if row is None:
            return None
        stored = (str(row[0]), row[1])
        with self._lock:
            self._memory.setdefault(instance_id, stored)
            return self._memory[instance_id]

    def put(self, instance_id: str, token: str, expires_at: datetime) -> None:
        """Store (or replace) an instance's token; two processes storing at once both succeed."""
        values = {"access_token": token, "expires_at": expires_at, "fetched_at": utcnow()}
        with session_scope(self._sessions) as session:
            statement = upsert_insert(session, WixToken).values(instance_id=instance_id, **values)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["instance_id"], set_={name: statement.excluded[name] for name in values}
                )
            )
        with self._lock:
            self._memory[instance_id] = (token, expires_at)

    def drop(self, instance_id: str) -> None:
        """Forget an instance's token (Wix refused it, or it expires soon): here and in the store."""
        with self._lock:
            self._memory.pop(instance_id, None)
        with session_scope(self._sessions) as session:
            session.execute(delete(WixToken).where(WixToken.instance_id == instance_id))

    def __repr__(self) -> str:
        return "StoreTokenCache()"
