"""The process's one client TLS context, for every outbound connection (Wix over HTTPS, SMTP)."""

from __future__ import annotations

import ssl
import threading

_context: ssl.SSLContext | None = None
_lock = threading.Lock()


def client_tls_context() -> ssl.SSLContext:
    """The process's verifying client TLS context, made on first use: loading the system's CA
    certificates costs ~30 ms of CPU, which a context made per connection paid every time
    (bench/README.md, "CPU per refund flow")."""
    global _context
    with _lock:
        if _context is None:
            _context = ssl.create_default_context()
        return _context
