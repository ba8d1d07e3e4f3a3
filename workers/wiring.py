"""Deps: the collaborators a flow may ask for by keyword, built once per worker process."""

from __future__ import annotations

import inspect
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from processor.config import Settings
from processor.store.db import Sessions, make_engine, make_sessions, utcnow
from processor.store.ledger import Ledger
from processor.wix_event import WixEvent


@dataclass
class Deps:
    """What flows receive: settings, store sessions, ledger, Wix client per site, mailer, ops, clock."""

    settings: Settings
    sessions: Sessions
    clock: Callable[[], datetime] = utcnow
    worker_name: str = field(default_factory=socket.gethostname)
    _cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> Deps:
        return cls(settings=settings, sessions=make_sessions(make_engine(settings.database_url)))

    def ledger(self, event_id: int | None = None) -> Ledger:
        lease = timedelta(seconds=self.settings.stuck_after_seconds)
        return Ledger(self.sessions, event_id=event_id, lease=lease)

    def mailer(self) -> Any:
        if "mailer" not in self._cache:
            from workers.notify.email import Mailer

            self._cache["mailer"] = Mailer.from_settings(self.settings)
        return self._cache["mailer"]

    def ops(self) -> Any:
        if "ops" not in self._cache:
            from workers.notify.ops import OpsAlerts

            self._cache["ops"] = OpsAlerts.from_settings(self.settings)
        return self._cache["ops"]

    def wix(self, instance_id: str | None) -> Any:
        """A Wix client for the event's site (tokens shared through the store)."""
        key = f"wix:{instance_id}"
        if key not in self._cache:
            from processor.store.tokens import StoreTokenCache
            from processor.wix.client import make_wix_client

            self._cache[key] = make_wix_client(
                self.settings, instance_id=instance_id, token_cache=StoreTokenCache(self.sessions)
            )
        return self._cache[key]

    def resolve(self, name: str, event: WixEvent, event_id: int) -> Any:
        """The collaborator a flow parameter named `name` asks for."""
        providers: dict[str, Callable[[], Any]] = {
            "settings": lambda: self.settings,
            "sessions": lambda: self.sessions,
            "ledger": lambda: self.ledger(event_id),
            "mailer": self.mailer,
            "ops": self.ops,
            "wix": lambda: self.wix(event.instance_id),
            "clock": lambda: self.clock,
            "event_id": lambda: event_id,
            "deps": lambda: self,
        }
        if name not in providers:
            raise TypeError(f"flow asks for unknown collaborator {name!r}")
        return providers[name]()


def bind(flow: Callable[..., Any], deps: Deps, event: WixEvent, event_id: int) -> dict[str, Any]:
    """Keyword arguments for `flow`, by the names of its keyword-only parameters."""
    params = inspect.signature(flow).parameters.values()
    return {
        p.name: deps.resolve(p.name, event, event_id)
        for p in params
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    }


_deps: Deps | None = None


def deps(settings: Settings | None = None) -> Deps:
    """This worker process's Deps, built on first use."""
    global _deps
    if _deps is None:
        if settings is None:
            from processor.config import load_settings

            settings = load_settings()
        _deps = Deps.from_settings(settings)
    return _deps


def reset() -> None:
    """Forget this process's Deps (after a fork: engines and clients are not fork-safe)."""
    global _deps
    _deps = None
