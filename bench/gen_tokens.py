"""Pre-sign DISTINCT Wix-format webhook tokens for the ingest benchmark.

Every token is a complete three-layer `wix.bookings.v2.booking_created` webhook built with the
product's own dev signing code (processor.devtools.signing), with its own event id and entity id,
signed RS256 with a throwaway 2048-bit key made here. Writes:

  OUT_DIR/public.pem         the key the receiver (and verify_only.py) verifies with
  OUT_DIR/tokens.txt         one token a line (all distinct)
  OUT_DIR/tokens.<t>.txt     the same tokens split round-robin into `--split` files (one per wrk thread)

Signing is the slow part (~0.25 ms of RSA a token), so it runs in a process pool.
Usage: python bench/gen_tokens.py OUT_DIR --count 120000 [--lifetime 3600] [--split 2]
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from processor.devtools.signing import domain_event, envelope, sample_body, sign

EVENT_TYPE = "wix.bookings.v2.booking_created"
_key: object = None


def _init(private_pem: str) -> None:
    global _key
    # A loaded key object: PyJWT would otherwise re-parse the PEM for every token.
    _key = serialization.load_pem_private_key(private_pem.encode(), password=None)


def _batch(args: tuple[int, int, int, int]) -> list[str]:
    _start, count, issued_at, lifetime = args
    tokens = []
    for _ in range(count):
        entity_id = str(uuid.uuid4())
        body = sample_body(EVENT_TYPE, entity_id)
        layer3 = domain_event(EVENT_TYPE, entity_id=entity_id, body=body, event_id=str(uuid.uuid4()))
        tokens.append(
            sign(envelope(EVENT_TYPE, layer3), _key, lifetime_seconds=lifetime, issued_at=issued_at)  # type: ignore[arg-type]
        )
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=120_000)
    parser.add_argument("--lifetime", type=int, default=3600, help="exp - iat, seconds")
    parser.add_argument("--split", type=int, default=2, help="files for wrk threads")
    parser.add_argument("--procs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (args.out_dir / "public.pem").write_bytes(public_pem)
    started = time.monotonic()
    issued_at = int(time.time())
    step = 2000
    jobs = [(s, min(step, args.count - s), issued_at, args.lifetime) for s in range(0, args.count, step)]
    with ProcessPoolExecutor(args.procs, initializer=_init, initargs=(private_pem,)) as pool:
        tokens = [t for batch in pool.map(_batch, jobs) for t in batch]
    assert len(set(tokens)) == len(tokens) == args.count
    (args.out_dir / "tokens.txt").write_text("\n".join(tokens) + "\n")
    for part in range(args.split):
        (args.out_dir / f"tokens.{part}.txt").write_text("\n".join(tokens[part :: args.split]) + "\n")
    took = time.monotonic() - started
    print(
        f"signed {len(tokens)} distinct tokens ({len(tokens[0])} bytes each) in {took:.1f} s, "
        f"valid until {time.strftime('%H:%M:%S', time.localtime(issued_at + args.lifetime))}"
    )


if __name__ == "__main__":
    main()
