"""The day: a seeded plan of bookings and calendar breaks, and the driver that plays it on the fake Wix.

Each booking is created and confirmed (two webhooks within milliseconds, as Wix sends them), some are
rescheduled once, many canceled (all are paid online a week ahead, inside the refund window, so each
canceled one is refunded). Some hosts' calendar connections break and recover; Wix sends no webhook
for that, so the processor's watcher must notice. Every change goes through the fake's own routes
first, then its webhook goes to the deliverer.
"""

from __future__ import annotations

import json
import random
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from bench.soak.config import SoakConfig
from bench.soak.delivery import Deliverer
from bench.soak.sinks import SoakFakeWix
from processor.devtools.fake_wix_scale import SeededSite, WebhookEvent
from processor.devtools.fake_wix_sites import FakeSite
from processor.devtools.signing import envelope

TOKEN_LIFETIME_SECONDS = 3600  # Wix's lifetime is undocumented; long enough for every re-send


@dataclass(frozen=True)
class Action:
    at: float  # seconds after the day starts
    kind: str  # book / reschedule / cancel / break / recover
    booking: int = -1  # index into the plan's bookings
    site: int = -1  # index into the seeded sites


@dataclass
class BookingTruth:
    """What Wix knows of one booking at the end."""

    booking_id: str
    instance_id: str
    rescheduled: bool = False
    canceled: bool = False


@dataclass
class Episode:
    """One host's calendar broken at `broke_at` and healthy again at `recovered_at` (monotonic)."""

    instance_id: str
    connection_id: str
    service_id: str
    broke_at: float
    recovered_at: float | None = None


@dataclass
class DayTruth:
    bookings: dict[str, BookingTruth] = field(default_factory=dict)
    episodes: list[Episode] = field(default_factory=list)
    harness_errors: list[str] = field(default_factory=list)
    day_started: float = 0.0
    day_ended: float = 0.0


def load_signing_key(private_key_pem: str) -> Any:
    """The RSA key object to sign with.

    Loaded once: PyJWT given the PEM text parses and validates the RSA key on every call (tens of
    ms of CPU each, holding the GIL), which starved the harness's other threads.
    """
    return load_pem_private_key(private_key_pem.encode(), password=None)


def sign_webhook(
    private_key: Any,
    event_type: str,
    layer3: dict[str, Any],
    instance_id: str,
    lifetime_seconds: int = TOKEN_LIFETIME_SECONDS,
) -> str:
    """A webhook body (JWT, RS256) as `devtools.signing.sign` makes it, signed by a loaded key object."""
    now = int(time.time())
    layer2 = envelope(event_type, layer3, instance_id=instance_id)
    claims = {"data": json.dumps(layer2), "iat": now, "exp": now + lifetime_seconds}
    return jwt.encode(claims, private_key, algorithm="RS256")


def plan_day(config: SoakConfig, sites: int, rng: random.Random) -> list[Action]:
    """The day's actions in time order: steady bookings, their later changes, calendar breaks."""
    day = config.day_seconds
    actions: list[Action] = []
    create_span = day * 0.75
    for index in range(config.bookings):
        created = (index + rng.random()) * create_span / config.bookings
        actions.append(Action(created, "book", booking=index, site=index % sites))
        later = created
        room = day - created
        if rng.random() < config.reschedule_share and room > 12:
            later = created + rng.uniform(6, min(room * 0.5, 60))
            actions.append(Action(later, "reschedule", booking=index))
        if rng.random() < config.cancel_share and day - later > 8:
            actions.append(Action(later + rng.uniform(6, min(day - later - 1, 90)), "cancel", booking=index))
    broken = rng.sample(range(sites), min(config.calendar_breaks, sites))
    for number, site in enumerate(broken):
        span = max(0.0, day * 0.8 - config.break_seconds)
        start = day * 0.1 + (number + rng.random()) * span / max(1, len(broken))
        actions.append(Action(start, "break", site=site))
        actions.append(Action(start + config.break_seconds, "recover", site=site))
    return sorted(actions, key=lambda a: a.at)


class DayDriver:
    """Plays the plan in real time on a thread of its own (it starts no process)."""

    def __init__(
        self,
        fake: SoakFakeWix,
        seeded: list[SeededSite],
        deliverer: Deliverer,
        actions: list[Action],
        private_key: str,
    ) -> None:
        self.fake = fake
        self.seeded = seeded
        self.deliverer = deliverer
        self.actions = actions
        self.private_key = load_signing_key(private_key)
        self.truth = DayTruth()
        self._booking_ids: dict[int, str] = {}
        self._open_episodes: dict[int, Episode] = {}
        self._thread = threading.Thread(target=self._run, name="day-driver", daemon=True)
        self._stop = threading.Event()

    def sign(self, event: WebhookEvent) -> str:
        """The webhook body as `WebhookEvent.sign` (`devtools.signing.sign`) makes it, by the key object."""
        return sign_webhook(self.private_key, event.event_type, event.layer3(), event.instance_id)

    def send(self, event: WebhookEvent) -> None:
        token = self.sign(event)
        wix_event_id = event.event_id if event.entity_id else f"app:{event.event_type}:{event.instance_id}"
        self.deliverer.submit(wix_event_id, event.event_type, token)

    def install_all(self) -> None:
        """Each site's AppInstalled, signed; the processor learns its sites from these."""
        for seeded in self.seeded:
            self.send(self.fake.site(seeded.instance_id).install())

    def start(self) -> None:
        self.truth.day_started = time.monotonic()
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        started = self.truth.day_started
        for action in self.actions:
            delay = started + action.at - time.monotonic()
            if self._stop.wait(max(0.0, delay)):
                break
            try:
                self._play(action)
            except Exception as exc:  # a harness bug must show, not stop the day
                self.truth.harness_errors.append(f"{action}: {type(exc).__name__}: {exc}")
                traceback.print_exc()
        self.truth.day_ended = time.monotonic()

    def _site(self, index: int) -> tuple[SeededSite, FakeSite]:
        seeded = self.seeded[index]
        return seeded, self.fake.site(seeded.instance_id)

    def _play(self, action: Action) -> None:
        if action.kind == "book":
            seeded, site = self._site(action.site)
            created = site.book_paid(status="PENDING", contact_email=f"c{action.booking}@soak.test")
            assert created.entity_id is not None
            self._booking_ids[action.booking] = created.entity_id
            self.truth.bookings[created.entity_id] = BookingTruth(created.entity_id, seeded.instance_id)
            confirmed = site.confirm_booking(created.entity_id)
            self.send(created)
            self.send(confirmed)
        elif action.kind in ("reschedule", "cancel"):
            booking_id = self._booking_ids[action.booking]
            truth = self.truth.bookings[booking_id]
            site = self.fake.site(truth.instance_id)
            if action.kind == "reschedule":
                self.send(site.reschedule_booking(booking_id))
                truth.rescheduled = True
            else:
                self.send(site.cancel_booking(booking_id))
                truth.canceled = True
        elif action.kind == "break":
            seeded, site = self._site(action.site)
            host = seeded.hosts[0]
            assert host.connection_id is not None
            site.break_connection(host.connection_id, "TOKEN_REVOKED")
            episode = Episode(seeded.instance_id, host.connection_id, host.service_id, time.monotonic())
            self._open_episodes[action.site] = episode
            self.truth.episodes.append(episode)
        elif action.kind == "recover":
            seeded, site = self._site(action.site)
            episode = self._open_episodes.pop(action.site)
            site.recover_connection(episode.connection_id)
            episode.recovered_at = time.monotonic()
