"""What every outbound connection shares (Wix over HTTP(S), SMTP): the process's one client TLS
context, and the check that a kept idle connection may carry the next request."""

from __future__ import annotations

import select
import socket
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


def idle_socket_still_open(sock: socket.socket | None) -> bool:
    """A kept idle connection is reusable when nothing is readable on it: readable means the server
    closed it (EOF), or sent what nobody asked for (SMTP's 421 before it hangs up); either way it is
    not sent a request. Costs no round trip."""
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable
