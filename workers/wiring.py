"""Deps: the collaborators a flow may ask for by keyword, built once per worker process (the bootstrap)."""

from __future__ import annotations

import inspect
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from processor.config import Settings
from processor.queue import publish, publish_later
from processor.store.db import Sessions, make_engine, make_sessions, utcnow
from processor.store.ledger import Ledger
from processor.store.tokens import StoreTokenCache
from processor.wix.client import WixClient, make_wix_client
from processor.wix.limiter import SiteLimiter
from processor.wix_budgets import shared_limiters
from processor.wix_event import WixEvent
from workers.courier import Courier
from workers.flows.shared import Outbox
from workers.notify.email import Mailer
from workers.notify.ops import OpsAlerts

if TYPE_CHECKING:
    from celery import Celery

Publisher = Callable[[Sequence[int]], list[int]]
NO_EMAIL_ON_PRIVACY_REQUEST = "privacy request: no email about it"


@dataclass
class Deps:
    """What flows receive: settings, store sessions, ledger, outbox, Wix client per site, clock, and
    `publish` (stored event ids to the broker), so flows never import Celery. Flows get no mailer and
    no ops webhook: they record notifications in the outbox, and delivery (workers/delivery.py) sends."""

    settings: Settings
    sessions: Sessions
    clock: Callable[[], datetime] = utcnow
    worker_name: str = field(default_factory=socket.gethostname)
    celery: Celery | None = None
    _mailer: Mailer | None = field(default=None, repr=False)
    _ops: OpsAlerts | None = field(default=None, repr=False)
    _wix: dict[str | None, WixClient] = field(default_factory=dict, repr=False)
    # The outbox of the attempt running now, per event: the pipeline publishes what it recorded.
    _outboxes: dict[int, Outbox] = field(default_factory=dict, repr=False)
    # The worker's threads share one Deps: what is built lazily is built under this lock, once.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _limiter_factory: Callable[[str], SiteLimiter] | None = field(default=None, repr=False)
    # The worker's delivery threads (workers/courier.py); None: each attempt delivers its own.
    courier: Courier | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, celery: Celery | None = None) -> Deps:
        engine = make_engine(settings.database_url, **engine_pool(settings))
        return cls(settings=settings, sessions=make_sessions(engine), celery=celery)

    def ledger(self, event_id: int | None = None) -> Ledger:
        lease = timedelta(seconds=self.settings.stuck_after_seconds)
        return Ledger(self.sessions, event_id=event_id, lease=lease)

    def outbox(self, event_id: int, *, no_email_because: str | None = None) -> Outbox:
        """The event's outbox for this attempt (one per event until `take_outbox`)."""
        mailer, ops = self.mailer(), self.ops()
        with self._lock:
            if event_id not in self._outboxes:
                self._outboxes[event_id] = Outbox(
                    self.sessions,
                    event_id,
                    mailer=mailer,
                    ops=ops,
                    clock=self.clock,
                    no_email_because=no_email_because,
                )
            return self._outboxes[event_id]

    def take_outbox(self, event_id: int) -> Outbox | None:
        """The attempt's outbox, forgotten here: what it recorded is the attempt's to publish."""
        with self._lock:
            return self._outboxes.pop(event_id, None)

    def mailer(self) -> Mailer:
        with self._lock:
            if self._mailer is None:
                self._mailer = Mailer.from_settings(self.settings)
            return self._mailer

    def ops(self) -> OpsAlerts:
        with self._lock:
            if self._ops is None:
                self._ops = OpsAlerts.from_settings(self.settings)
            return self._ops

    def wix(self, instance_id: str | None) -> WixClient:
        """A Wix client for the event's site (tokens shared through the store, the rate limit
        through Redis or the store: processor/wix_budgets.py)."""
        with self._lock:
            if instance_id not in self._wix:
                self._wix[instance_id] = make_wix_client(
                    self.settings,
                    instance_id=instance_id,
                    token_cache=StoreTokenCache(self.sessions),
                    limiter_factory=self._limiters(),
                )
            return self._wix[instance_id]

    def _limiters(self) -> Callable[[str], SiteLimiter]:
        """Each site's Wix budget, shared by every process (processor/wix_budgets.py; call with
        self._lock held)."""
        if self._limiter_factory is None:
            self._limiter_factory = shared_limiters(self.settings, self.sessions)
        return self._limiter_factory

    def publish(self, event_ids: Sequence[int]) -> list[int]:
        """Send stored events to the workers; those the broker does not take, the sweep sends later."""
        if not event_ids or self.celery is None:  # no broker given: the events stay for the sweep
            return []
        return publish(self.celery, list(event_ids))

    def publish_later(self, event_id: int, delay_seconds: float) -> bool:
        """Send one stored event to the workers for later (a deferral); the sweep covers a miss."""
        return self.celery is not None and publish_later(self.celery, event_id, delay_seconds)

    def resolve(self, name: str, event: WixEvent, event_id: int) -> Any:
        """The collaborator a flow parameter named `name` asks for."""
        providers: dict[str, Callable[[], Any]] = {
            "settings": lambda: self.settings,
            "sessions": lambda: self.sessions,
            "ledger": lambda: self.ledger(event_id),
            "outbox": lambda: self.outbox(
                event_id, no_email_because=NO_EMAIL_ON_PRIVACY_REQUEST if event.anonymize_request else None
            ),
            "wix": lambda: self.wix(event.instance_id),
            "clock": lambda: self.clock,
            "publish": lambda: self.publish,
            "event_id": lambda: event_id,
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


def engine_pool(settings: Settings) -> dict[str, int]:
    """Connections for every thread of the worker at once: a flow holds at most two sessions at a
    time (its own and the ledger's or the token cache's), and the sweep and delivery one each."""
    return {"pool_size": max(5, settings.worker_concurrency + 2), "max_overflow": 10}


_deps: Deps | None = None
_deps_lock = threading.Lock()


def deps(settings: Settings | None = None, *, celery: Celery | None = None) -> Deps:
    """This worker process's Deps, built on first use (the tasks give it the worker's Celery app);
    the worker's threads all get the same one."""
    global _deps
    with _deps_lock:
        if _deps is None:
            if settings is None:
                from processor.config import load_settings

                settings = load_settings()
            _deps = Deps.from_settings(settings, celery)
            if celery is not None:  # the Celery worker: attempts hand their emails to the courier
                _deps.courier = Courier(_deliverer(_deps))
        return _deps


def _deliverer(deps: Deps) -> Callable[[list[int]], object]:
    def deliver(notification_ids: list[int]) -> object:
        from workers import delivery  # delivery imports this module

        return delivery.deliver(deps, notification_ids)

    return deliver


def stop_courier() -> None:
    """The worker is stopping: let the courier send what it holds (bounded), take nothing more."""
    with _deps_lock:
        courier = _deps.courier if _deps is not None else None
    if courier is not None:
        courier.stop()


def reset() -> None:
    """Forget this process's Deps (after a fork: engines, clients and threads are not fork-safe)."""
    global _deps
    _deps = None
