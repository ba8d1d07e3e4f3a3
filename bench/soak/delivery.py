"""Wix's side of the webhooks: each one sent 1 to 3 times to random receivers, shuffled, re-sent until a 200.

A delivery that gets no 200 (connection refused, a 5xx, a timeout, a dropped connection) is re-sent
later, as Wix retries (here within seconds, not Wix's minutes), and every HTTP attempt is recorded.
Only a 200 acknowledges an event; the answer's `event_id` is what the checks look for in the store.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

MAX_RETRY_DELAY = 8.0


@dataclass
class Delivery:
    """One copy of one webhook, sent until a receiver answers 200."""

    wix_event_id: str
    event_type: str
    token: str
    copy: int
    attempts: int = 0
    acked: bool = False


@dataclass(frozen=True)
class Sent:
    """One HTTP attempt: when, where, how long, and what came back."""

    wix_event_id: str
    event_type: str
    copy: int
    receiver: int
    at: float  # time.monotonic() when sent
    seconds: float
    status: int | None  # None: no HTTP answer
    error: str | None  # the JSON error code of a non-200, or refused/timeout/reset
    answer: str | None  # accepted / duplicate
    event_id: int | None
    phase: str


@dataclass
class Tally:
    """What the deliverer knows at the end."""

    sent: list[Sent] = field(default_factory=list)
    acked: dict[str, set[int]] = field(default_factory=dict)  # wix event id -> our event ids answered
    types: dict[str, str] = field(default_factory=dict)  # wix event id -> event type
    submitted: int = 0


class Deliverer:
    """Sender threads over one due-time heap; `submit` schedules a webhook's copies."""

    def __init__(
        self,
        receiver_urls: list[str],
        *,
        rng: random.Random,
        copies: tuple[int, int],
        shuffle_seconds: float,
        senders: int,
        timeout: float,
        phase_of: Callable[[float], str],
    ) -> None:
        self.urls = receiver_urls
        self.rng = rng
        self.copies = copies
        self.shuffle = shuffle_seconds
        self.timeout = timeout
        self.phase_of = phase_of
        self.tally = Tally()
        self._heap: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._in_flight = 0
        self._open = 0  # copies not yet acknowledged
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._sender, name=f"wix-sender-{n}", daemon=True) for n in range(senders)
        ]

    def start(self) -> Deliverer:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop sending (what is left unacknowledged stays counted as open)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=self.timeout + 5)

    def submit(self, wix_event_id: str, event_type: str, token: str) -> int:
        """Schedule 1 to 3 copies of a webhook within `shuffle_seconds`; returns how many."""
        now = time.monotonic()
        with self._cond:
            count = self.rng.randint(*self.copies)
            self.tally.submitted += 1
            self.tally.types[wix_event_id] = event_type
            for copy in range(1, count + 1):
                due = now + self.rng.uniform(0, self.shuffle)
                heapq.heappush(
                    self._heap, (due, next(self._order), Delivery(wix_event_id, event_type, token, copy))
                )
                self._open += 1
            self._cond.notify_all()
        return count

    @property
    def open(self) -> int:
        """Copies not yet answered 200 (waiting, in flight or due for a retry)."""
        with self._cond:
            return self._open

    def retries(self) -> int:
        """HTTP attempts that were re-sends of a copy (a previous attempt got no 200)."""
        seen: set[tuple[str, int]] = set()
        count = 0
        for sent in list(self.tally.sent):
            key = (sent.wix_event_id, sent.copy)
            count += key in seen
            seen.add(key)
        return count

    def _next(self) -> Delivery | None:
        with self._cond:
            while not self._stopping:
                if self._heap and self._heap[0][0] <= time.monotonic():
                    self._in_flight += 1
                    return heapq.heappop(self._heap)[2]
                wait = self._heap[0][0] - time.monotonic() if self._heap else 0.5
                self._cond.wait(timeout=max(0.005, min(wait, 0.5)))
            return None

    def _sender(self) -> None:
        with httpx.Client(timeout=self.timeout, headers={"Content-Type": "text/plain"}) as client:
            while (delivery := self._next()) is not None:
                receiver = self.rng.randrange(len(self.urls))
                sent = self._post(client, delivery, receiver)
                with self._cond:
                    self._in_flight -= 1
                    self.tally.sent.append(sent)
                    delivery.attempts += 1
                    if sent.status == 200:
                        delivery.acked = True
                        self._open -= 1
                        if sent.event_id is not None:
                            self.tally.acked.setdefault(delivery.wix_event_id, set()).add(sent.event_id)
                    else:  # as Wix does: try again later, backing off
                        delay = min(MAX_RETRY_DELAY, 0.5 * 2**delivery.attempts) * self.rng.uniform(0.5, 1.0)
                        entry = (time.monotonic() + delay, next(self._order), delivery)
                        heapq.heappush(self._heap, entry)
                    self._cond.notify_all()

    def _post(self, client: httpx.Client, delivery: Delivery, receiver: int) -> Sent:
        started = time.monotonic()
        phase = self.phase_of(started)
        status: int | None = None
        error: str | None = None
        answer: str | None = None
        event_id: int | None = None
        try:
            response = client.post(self.urls[receiver] + "/webhooks/wix", content=delivery.token)
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = {}
            body = body if isinstance(body, dict) else {}
            if status == 200:
                answer = str(body.get("status"))
                event_id = int(body["event_id"]) if body.get("event_id") is not None else None
            else:
                error = str(body.get("error") or f"http_{status}")
        except httpx.ConnectError:
            error = "refused"
        except httpx.TimeoutException:
            error = "timeout"
        except httpx.TransportError as exc:
            error = f"reset ({type(exc).__name__})"
        ended = time.monotonic()
        if status != 200 and phase in ("steady", "install", "settle"):
            phase = self.phase_of(ended)  # an outage that began while this request was in flight
        return Sent(
            delivery.wix_event_id,
            delivery.event_type,
            delivery.copy,
            receiver,
            started,
            ended - started,
            status,
            error,
            answer,
            event_id,
            phase,
        )
