"""What the processor talks to: the fake Wix API (counting applied link switches), SMTP and the ops hook.

All three run in the harness process on loopback, so the day's driver seeds the fake directly and the
checks read what each one received.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from werkzeug.serving import BaseWSGIServer, make_server

from processor.devtools.fake_wix import FakeWix
from processor.devtools.fake_wix_auth import Caller
from processor.devtools.fake_wix_http import HttpAnswer, HttpRequest
from tests.fixtures.ops_hook import OpsHook
from tests.fixtures.servers import free_port
from tests.fixtures.smtp import SmtpServer

SERVICE_PATH = re.compile(r"/bookings/v2/services/(?P<service_id>[^/:]+)$")
UID = re.compile(r"^UID:(?P<booking_id>[^@\s]+)@", re.MULTILINE)
METHOD = re.compile(r"^METHOD:(?P<method>\w+)", re.MULTILINE)


@dataclass(frozen=True)
class LinkWrite:
    """An Update Service the fake applied that set `onlineBooking.enabled`."""

    at: float  # time.monotonic()
    instance_id: str
    service_id: str
    enabled: bool


class SoakFakeWix(FakeWix):
    """The fake Wix API, also keeping every applied write of a link's `onlineBooking.enabled`.

    The request log records calls before their fault is drawn (a 500 or a drop is logged too, not
    applied); the route dispatch runs only for calls the fake applies, so it is counted there.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.link_writes: list[LinkWrite] = []
        self._writes_lock = threading.Lock()

    def _dispatch(
        self,
        request: HttpRequest,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        caller: Caller,
        is_token: bool,
    ) -> HttpAnswer:
        answer = super()._dispatch(request, path, query, body, caller, is_token)
        match = SERVICE_PATH.search(path)
        if request.method == "PATCH" and match and answer.status == 200 and caller.site is not None:
            online = ((body or {}).get("service") or {}).get("onlineBooking") or {}
            if "enabled" in online:
                write = LinkWrite(
                    time.monotonic(), caller.site.instance_id, match["service_id"], bool(online["enabled"])
                )
                with self._writes_lock:
                    self.link_writes.append(write)
        return answer

    def writes(self) -> list[LinkWrite]:
        with self._writes_lock:
            return list(self.link_writes)


class Sinks:
    """The SMTP sink and the ops webhook, served on free loopback ports until `stop()`."""

    def __init__(self) -> None:
        self.smtp = SmtpServer("127.0.0.1", free_port())
        self._smtp_controller = Controller(self.smtp, hostname=self.smtp.host, port=self.smtp.port)
        self.ops = OpsHook()
        self._ops_server: BaseWSGIServer = make_server("127.0.0.1", 0, self.ops, threaded=True)
        self.ops.url = f"http://127.0.0.1:{self._ops_server.server_port}/hooks/ops"
        self._ops_thread = threading.Thread(
            target=self._ops_server.serve_forever, name="ops-hook", daemon=True
        )

    def start(self) -> Sinks:
        self._smtp_controller.start()
        self._ops_thread.start()
        return self

    def stop(self) -> None:
        self._smtp_controller.stop()
        self._ops_server.shutdown()
        self._ops_thread.join(timeout=5)


@dataclass(frozen=True)
class EmailSeen:
    """What the checks need of one email: its kind (by subject and .ics METHOD) and booking."""

    kind: str
    booking_id: str | None
    subject: str


def classify(message: EmailMessage) -> EmailSeen:
    """`invitation` (New booking, METHOD:REQUEST), `update`, `cancellation` (METHOD:CANCEL), or other.

    The booking id is the .ics UID (`<booking id>@wix-meetings-processor`), else the body's
    "Booking id" row (refund emails to the host carry it; the customer's does not).
    """
    subject = str(message.get("Subject", ""))
    ics = ""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            ics = payload.decode(errors="replace") if isinstance(payload, bytes) else str(payload)
    uid, method = UID.search(ics), METHOD.search(ics)
    booking_id = uid["booking_id"] if uid else _booking_row(message)
    if subject.startswith("New booking") and method and method["method"] == "REQUEST":
        kind = "invitation"
    elif subject.startswith("Booking moved"):
        kind = "update"
    elif subject.startswith("Booking canceled") and method and method["method"] == "CANCEL":
        kind = "cancellation"
    else:
        kind = subject.split(":", 1)[0].strip().lower().replace(" ", "_") or "other"
    return EmailSeen(kind, booking_id, subject)


def _booking_row(message: EmailMessage) -> str | None:
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    found = re.search(r"Booking id:?\s*([0-9a-f-]{36})", text)
    return found.group(1) if found else None


def emails_by_booking(messages: list[EmailMessage]) -> dict[str, Counter[str]]:
    """Per kind of email, how many each booking got."""
    counts: dict[str, Counter[str]] = {}
    for message in messages:
        seen = classify(message)
        if seen.booking_id:
            counts.setdefault(seen.kind, Counter())[seen.booking_id] += 1
    return counts
