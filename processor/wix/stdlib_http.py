"""StdlibTransport: httpx's transport over the standard library's http.client, with keep-alive.

httpx builds the request, runs the auth flow and reads the answer as before; only the wire part is
http.client's. httpcore and h11 cost ~0.3 to 0.6 ms more CPU per request than http.client does
(bench/wix_transport_cpu.py; bench/README.md, "First-try delivery in the attempt, httpx over
http.client"). One transport serves one thread's httpx.Client (processor/wix/transport.py),
so its idle connections are that thread's; a token fetch inside a call takes a second connection.

What it does not do, because Wix calls do not need it: HTTP/2, proxies (with a proxy variable set,
`transport_for_environment` gives httpx's own transport), streaming bodies (both bodies are read
whole: Wix answers are small JSON objects).
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import threading
from collections.abc import Iterable

import httpx

from processor.tls import client_tls_context

MAX_IDLE_PER_ORIGIN = 2  # a thread's calls are sequential; a token fetch inside one takes a second
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")

Origin = tuple[str, str, int]


def transport_for_environment() -> httpx.BaseTransport:
    """This module's transport, or httpx's own when the environment names a proxy (httpx honours it)."""
    if any(os.environ.get(name) for name in PROXY_VARIABLES):
        return httpx.HTTPTransport()
    return StdlibTransport()


class StdlibTransport(httpx.BaseTransport):
    """Sends httpx requests over pooled `http.client` connections, one origin's idle ones kept."""

    def __init__(self) -> None:
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin: Origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout", {})
        connection = self._checkout(origin, timeouts.get("connect"))
        try:
            connection.sock.settimeout(timeouts.get("read"))
            connection.request(
                request.method,
                url.raw_path.decode("ascii"),
                body=request.content or None,
                headers=_headers(request.headers.raw),
            )
            answer = connection.getresponse()
            body = answer.read()
        except TimeoutError as exc:
            connection.close()
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc
        if answer.will_close:
            connection.close()
        else:
            self._checkin(origin, connection)
        return httpx.Response(
            answer.status,
            headers=answer.getheaders(),
            content=body,
            request=request,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": answer.reason.encode("latin-1")},
        )

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _checkout(self, origin: Origin, connect_timeout: float | None) -> http.client.HTTPConnection:
        """An idle connection the server has not closed meanwhile, else a new one, connected."""
        while True:
            with self._lock:
                idle = self._idle.get(origin)
                connection = idle.pop() if idle else None
            if connection is None:
                return _connect(origin, connect_timeout)
            if _still_open(connection):
                return connection
            connection.close()

    def _checkin(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(origin, [])
            if len(idle) < MAX_IDLE_PER_ORIGIN:
                idle.append(connection)
                return
        connection.close()


def _connect(origin: Origin, timeout: float | None) -> http.client.HTTPConnection:
    scheme, host, port = origin
    connection: http.client.HTTPConnection
    if scheme == "https":
        connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=client_tls_context())
    else:
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.connect()
    except TimeoutError as exc:
        connection.close()
        raise httpx.ConnectTimeout(f"connect to {host}:{port} timed out") from exc
    except OSError as exc:
        connection.close()
        raise httpx.ConnectError(f"connect to {host}:{port}: {exc}") from exc
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return connection


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle connection is reusable when nothing is readable on it: readable means the server
    closed it (EOF) or sent what nobody asked for; either way it is not sent a request."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """httpx's headers as http.client takes them (it adds none of its own when Host is given)."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
