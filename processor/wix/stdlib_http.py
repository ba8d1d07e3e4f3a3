"""The Wix client's HTTP: requests over the standard library's http.client, kept alive.

`StdlibHttp.send` writes one request on a pooled `http.client` connection and reads the whole answer
into an `Answer`. No httpx request, response, URL or auth flow is built per call: those cost more
CPU than the rest of a Wix call (URL parsing twice per request, the auth generator, header models;
bench/wix_transport_cpu.py; bench/README.md, "Wix calls without httpx, .ics written directly,
delivery off the attempt's thread"). The caller gives a path that
is already percent-encoded (`processor/wix/paths.py` builds every id segment) and a query string.

One `StdlibHttp` serves one thread (processor/wix/transport.py), so its idle connections are that
thread's; a token fetch inside a call takes a second connection.

What it does not do, because Wix calls do not need it: HTTP/2, streaming bodies (Wix answers are
small JSON objects, read whole), proxies: with a proxy variable set, `http_for_environment` gives
`HttpxHttp`, the same interface over an httpx client, which honours it. Failures are raised as
httpx's exception classes (`ConnectError`, `ConnectTimeout`, `ReadTimeout`, `RemoteProtocolError`),
so both implementations fail alike.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import socket
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from processor.tls import client_tls_context, idle_socket_still_open

MAX_IDLE_PER_ORIGIN = 2  # a thread's calls are sequential; a token fetch inside one takes a second
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")
USER_AGENT = "wix-meetings-processor"


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer, read whole: what the Wix client and `errors.error_from_response` read."""

    status_code: int
    reason_phrase: str
    headers: Mapping[str, str]  # names lower-cased
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        return json.loads(self.content)


class Http(Protocol):
    """Sends a request to one base URL and answers it whole."""

    def send(
        self,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: httpx.Timeout,
    ) -> Answer:
        """`target`: the path (percent-encoded) and query string, relative to the base URL."""
        ...

    @property
    def is_closed(self) -> bool: ...

    def close(self) -> None: ...


def http_for_environment(base_url: str) -> Http:
    """`StdlibHttp`, or `HttpxHttp` when the environment names a proxy (httpx honours it)."""
    if any(os.environ.get(name) for name in PROXY_VARIABLES):
        return HttpxHttp(base_url)
    return StdlibHttp(base_url)


class StdlibHttp:
    """Requests to one base URL over pooled `http.client` connections, up to two idle ones kept."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) base URL: {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.is_closed = False

    def send(
        self,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: httpx.Timeout,
    ) -> Answer:
        connection = self._checkout(timeout.connect)
        try:
            connection.sock.settimeout(timeout.read)
            connection.request(method, self.prefix + target, body=body, headers={**_BASE, **headers})
            answer = connection.getresponse()
            content = answer.read()
        except TimeoutError as exc:
            connection.close()
            raise httpx.ReadTimeout(str(exc) or "timed out") from exc
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from exc
        if answer.will_close:
            connection.close()
        else:
            self._checkin(connection)
        names = {name.lower(): value for name, value in answer.getheaders()}
        encoding = names.get("content-encoding")
        if encoding and content:
            content = _decoded(content, encoding)
        return Answer(answer.status, answer.reason, names, content)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self.is_closed = True
        for connection in idle:
            connection.close()

    def _checkout(self, connect_timeout: float | None) -> http.client.HTTPConnection:
        """An idle connection the server has not closed meanwhile, else a new one, connected."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect(connect_timeout)
            if idle_socket_still_open(connection.sock):
                return connection
            connection.close()

    def _checkin(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_PER_ORIGIN and not self.is_closed:
                self._idle.append(connection)
                return
        connection.close()

    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if self.scheme == "https":
            connection = http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=client_tls_context()
            )
        else:
            connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.connect()
        except TimeoutError as exc:
            connection.close()
            raise httpx.ConnectTimeout(f"connect to {self.host}:{self.port} timed out") from exc
        except OSError as exc:
            connection.close()
            raise httpx.ConnectError(f"connect to {self.host}:{self.port}: {exc}") from exc
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def __repr__(self) -> str:
        return f"StdlibHttp({self.scheme}://{self.host}:{self.port}{self.prefix})"


class HttpxHttp:
    """The same interface over an httpx client (it honours the proxy variables)."""

    def __init__(self, base_url: str) -> None:
        self._client = httpx.Client(base_url=base_url.rstrip("/"))

    @property
    def is_closed(self) -> bool:
        return self._client.is_closed

    def send(
        self,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: httpx.Timeout,
    ) -> Answer:
        response = self._client.request(
            method, target, content=body, headers={**_BASE, **headers}, timeout=timeout
        )
        return Answer(
            response.status_code,
            response.reason_phrase,
            {name.lower(): value for name, value in response.headers.items()},
            response.content,
        )

    def close(self) -> None:
        self._client.close()


_BASE = {"Accept": "application/json", "User-Agent": USER_AGENT}


def _decoded(content: bytes, encoding: str) -> bytes:
    """The body under its Content-Encoding (we ask for none; a server may still send gzip)."""
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        return gzip.decompress(content)
    if encoding == "deflate":
        return zlib.decompress(content)
    return content
