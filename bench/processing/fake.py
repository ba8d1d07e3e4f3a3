"""The fake Wix API in a process of its own, seeded with canceled paid bookings for the harness.

    python -m bench.processing.fake --port P --sites N --bookings B --latency-ms 100 --events-out FILE

The same `FakeWix` that `wix-meetings dev fake-wix --sites N --latency-ms 100` serves (app mode, every
site installed, latency on every API call, no random faults), plus what that command cannot make: B
paid bookings spread over the N sites, each canceled through the fake's own route (as a customer
cancels, a week ahead: inside the refund window), written to FILE as one JSON object a line
(`event_type`, `instance_id`, `booking_id`, `contact_email`, `layer3`) for the harness to sign and
post. Its own process, so its CPU is not the harness's or the worker's; figures come from
`GET /_fake/stats`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from processor.devtools.fake_wix import FakeWix, FaultRates

READY = "fake wix ready"


def seed(fake: FakeWix, sites: int, bookings: int) -> list[dict[str, Any]]:
    """`sites` provisioned sites, `bookings` paid bookings round-robin over them, each canceled:
    the `booking_canceled` webhook of each (`event_type`, `instance_id`, `booking_id`,
    `contact_email`, `layer3`)."""
    seeded = fake.seed_sites(sites)
    records = []
    for number in range(bookings):
        site = fake.site(seeded[number % len(seeded)].instance_id)
        contact = f"c{number}@bench.test"
        created = site.book_paid(status="CONFIRMED", contact_email=contact)
        assert created.entity_id is not None
        canceled = site.cancel_booking(created.entity_id)
        records.append(
            {
                "event_type": canceled.event_type,
                "instance_id": canceled.instance_id,
                "booking_id": created.entity_id,
                "contact_email": contact,
                "layer3": canceled.layer3(),
            }
        )
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.processing.fake", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sites", type=int, default=1)
    parser.add_argument("--bookings", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--events-out", type=Path, required=True)
    args = parser.parse_args(argv)
    fake = FakeWix(faults=FaultRates(latency=args.latency_ms / 1000), request_log_limit=1000)
    with args.events_out.open("w") as lines:
        for record in seed(fake, args.sites, args.bookings):
            lines.write(json.dumps(record, default=str) + "\n")
    fake.start(port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"{READY} on {fake.url} app_id={fake.app_id} app_secret={fake.app_secret}", flush=True)
    stop.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
