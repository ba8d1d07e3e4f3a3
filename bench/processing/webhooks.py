"""Wix's side: signed webhooks, posted to the receiver as fast as it takes them or at a fixed rate.

Every webhook is signed before any is sent (signing costs ~1 ms of CPU each), so the figures measure
the processor, not the harness. Each answer is kept: a 200 with its `event_id` acknowledges an event,
which the checks then look for in the store.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.soak.day import load_signing_key, sign_webhook
from processor.devtools.signing import domain_event

# A real Wix booking event that no flow handles: it is stored, claimed and finished `ignored`.
UNHANDLED_TYPE = "wix.bookings.v2.booking_number_of_participants_updated"
BENCH_INSTANCE = "a41f2c9e-7b3d-4e6a-8c15-2d9f0b7e6a34"


@dataclass(frozen=True)
class Webhook:
    token: str
    booking_id: str | None = None


@dataclass
class Answers:
    """What the receiver said: acknowledged event ids (by booking where there is one), and the rest."""

    event_ids: list[int] = field(default_factory=list)
    by_booking: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    duplicates: int = 0
    sent_at: dict[int, float] = field(default_factory=dict)  # event id -> time.time() of the POST
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def merge(self, other: Answers) -> None:
        """Take in another round's answers."""
        with self._lock:
            self.event_ids += other.event_ids
            self.by_booking.update(other.by_booking)
            self.failures += other.failures
            self.duplicates += other.duplicates
            self.sent_at.update(other.sent_at)

    def add(self, webhook: Webhook, started: float, answer: httpx.Response | Exception) -> None:
        with self._lock:
            if isinstance(answer, Exception):
                self.failures.append(f"{type(answer).__name__}: {answer}")
                return
            body: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
            if answer.status_code != 200 or "event_id" not in body:
                self.failures.append(f"{answer.status_code}: {answer.text[:200]}")
                return
            event_id = int(body["event_id"])
            self.duplicates += body.get("status") == "duplicate"
            self.event_ids.append(event_id)
            self.sent_at[event_id] = started
            if webhook.booking_id is not None:
                self.by_booking[webhook.booking_id] = event_id


def sign_unhandled(private_pem: str, count: int) -> list[Webhook]:
    """`count` distinct events of a type no flow handles, each about an entity of its own."""
    key = load_signing_key(private_pem)
    webhooks = []
    for _ in range(count):
        entity_id = str(uuid.uuid4())
        body = {"booking": {"id": entity_id, "revision": "1", "totalParticipants": 2}}
        layer3 = domain_event(UNHANDLED_TYPE, entity_id=entity_id, body=body, sequence=1)
        webhooks.append(Webhook(sign_webhook(key, UNHANDLED_TYPE, layer3, BENCH_INSTANCE)))
    return webhooks


def sign_fake_events(private_pem: str, events: list[dict[str, Any]]) -> list[Webhook]:
    """The fake's canceled bookings (bench.processing.fake), signed as Wix sends them."""
    key = load_signing_key(private_pem)
    return [
        Webhook(sign_webhook(key, e["event_type"], e["layer3"], e["instance_id"]), e["booking_id"])
        for e in events
    ]


def post_all(url: str, webhooks: list[Webhook], *, senders: int = 8) -> Answers:
    """POST every webhook as fast as `senders` connections go; the answers."""
    answers = Answers()
    chunks = [webhooks[n::senders] for n in range(senders)]

    def send(chunk: list[Webhook]) -> None:
        with httpx.Client(timeout=30, headers={"Content-Type": "text/plain"}) as client:
            for webhook in chunk:
                _post(client, url, webhook, answers)

    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(send, chunks))
    return answers


def post_paced(url: str, webhooks: list[Webhook], *, per_second: float, senders: int = 4) -> Answers:
    """POST webhook i at t0 + i / per_second whatever the answers do (open loop); the answers."""
    answers = Answers()
    started = time.monotonic() + 0.2

    def send(offset: int) -> None:
        with httpx.Client(timeout=30, headers={"Content-Type": "text/plain"}) as client:
            for index in range(offset, len(webhooks), senders):
                delay = started + index / per_second - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                _post(client, url, webhooks[index], answers)

    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(send, range(senders)))
    return answers


def _post(client: httpx.Client, url: str, webhook: Webhook, answers: Answers) -> None:
    started = time.time()
    try:
        answer: httpx.Response | Exception = client.post(url + "/webhooks/wix", content=webhook.token)
    except httpx.HTTPError as exc:
        answer = exc
    answers.add(webhook, started, answer)
