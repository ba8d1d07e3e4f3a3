"""The Wix client's HTTP: HTTP/1.1 requests over kept-alive sockets of the standard library.

`StdlibHttp.send` writes one request on a pooled connection (`_Connection`) and reads the whole answer
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

import contextlib
import gzip
import json
import os
import re
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
    """Requests to one base URL over kept-alive HTTP/1.1 connections (`_Connection`), up to two idle."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) base URL: {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        default_port = 443 if parts.scheme == "https" else 80
        self.port = parts.port or default_port
        self.prefix = parts.path.rstrip("/")
        self._host_header = self.host if self.port == default_port else f"{self.host}:{self.port}"
        self._idle: list[_Connection] = []
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
        request = _request(method, self.prefix + target, self._host_header, {**_BASE, **headers}, body)
        connection = self._checkout(timeout.connect)
        try:
            connection.sock.settimeout(timeout.read)
            answer, reusable = connection.exchange(request, method)
        except TimeoutError as exc:
            connection.close()
            raise httpx.ReadTimeout(str(exc) or "timed out") from exc
        except (OSError, _ProtocolError) as exc:
            connection.close()
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from exc
        if reusable:
            self._checkin(connection)
        else:
            connection.close()
        return answer

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            self.is_closed = True
        for connection in idle:
            connection.close()

    def _checkout(self, connect_timeout: float | None) -> _Connection:
        """An idle connection the server has not closed meanwhile, else a new one, connected."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect(connect_timeout)
            if idle_socket_still_open(connection.sock):
                return connection
            connection.close()

    def _checkin(self, connection: _Connection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_PER_ORIGIN and not self.is_closed:
                self._idle.append(connection)
                return
        connection.close()

    def _connect(self, timeout: float | None) -> _Connection:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connect to {self.host}:{self.port} timed out") from exc
        except OSError as exc:
            raise httpx.ConnectError(f"connect to {self.host}:{self.port}: {exc}") from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.scheme == "https":
                sock = client_tls_context().wrap_socket(sock, server_hostname=self.host)
        except TimeoutError as exc:
            sock.close()
            raise httpx.ConnectTimeout(f"TLS handshake with {self.host}:{self.port} timed out") from exc
        except OSError as exc:
            sock.close()
            raise httpx.ConnectError(f"TLS handshake with {self.host}:{self.port}: {exc}") from exc
        return _Connection(sock)

    def __repr__(self) -> str:
        return f"StdlibHttp({self.scheme}://{self.host}:{self.port}{self.prefix})"


class _ProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 answer we can read."""


MAX_HEAD_BYTES = 65536  # status line and headers, as http.client's line and header limits
MAX_HEADERS = 100
_READ = 65536


def _request(method: str, target: str, host: str, headers: Mapping[str, str], body: bytes | None) -> bytes:
    """The request's bytes: request line, Host, the headers, Content-Length, then the body. A target
    or header that would split the request (a line break, a space in the target) is refused."""
    fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if _SPLITS.search(target) or " " in target or any(_SPLITS.search(n + v) for n, v in headers.items()):
        raise ValueError("a request target or header holds a line break (or the target a space)")
    length = f"Content-Length: {len(body or b'')}\r\n" if body is not None or method in _WITH_BODY else ""
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\n{fields}{length}\r\n"
    return head.encode("latin-1") + (body or b"")


_SPLITS = re.compile(r"[\r\n\x00]")
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class _Connection:
    """One kept-alive HTTP/1.1 connection to a server: writes a request, reads its answer whole.

    The part of HTTP/1.1 that Wix's REST answers use, read as RFC 9112 says: a status line, headers,
    then a body by Content-Length, chunked transfer coding, or (neither) up to the close; interim 1xx
    answers skipped; no body for HEAD, 204 and 304. It replaced `http.client` here, whose request
    building and email-parser headers cost ~0.4 ms of CPU per call (bench/README.md)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = bytearray()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def exchange(self, request: bytes, method: str) -> tuple[Answer, bool]:
        """Send `request`, read the answer; and whether the connection may carry the next one."""
        self.sock.sendall(request)
        version, status, reason, names = self._head()
        while 100 <= status < 200:  # interim answers (100 Continue, 103 Early Hints): the real one follows
            version, status, reason, names = self._head()
        connection = names.get("connection", "").lower()
        reusable = connection != "close" and (version != "HTTP/1.0" or connection == "keep-alive")
        if method == "HEAD" or status in (204, 304):
            content = b""
        elif "chunked" in names.get("transfer-encoding", "").lower():
            content = self._chunked()
        elif "content-length" in names:
            try:
                length = int(names["content-length"])
            except ValueError:
                raise _ProtocolError(f"Content-Length {names['content-length']!r}") from None
            content = self._exactly(length)
        else:
            content, reusable = self._to_close(), False
        if self._buffer:  # bytes past the answer: the connection is out of step
            reusable = False
        encoding = names.get("content-encoding")
        if encoding and content:
            content = _decoded(content, encoding)
        return Answer(status, reason, names, content), reusable

    def _fill(self) -> None:
        chunk = self.sock.recv(_READ)
        if not chunk:
            raise _ProtocolError("the server closed the connection mid-answer")
        self._buffer += chunk

    def _head(self) -> tuple[str, int, str, dict[str, str]]:
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise _ProtocolError("status line and headers over 64 KiB")
            self._fill()
        if end > MAX_HEAD_BYTES:
            raise _ProtocolError("status line and headers over 64 KiB")
        lines = self._buffer[:end].decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        version, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise _ProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        if len(lines) > MAX_HEADERS + 1:
            raise _ProtocolError(f"more than {MAX_HEADERS} headers")
        names: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise _ProtocolError(f"not a header line: {line[:80]!r}")
            names[name.lower()] = value.strip()  # a repeated name: the last one, as before
        return version, int(code), reason, names

    def _exactly(self, length: int) -> bytes:
        while len(self._buffer) < length:
            self._fill()
        content = bytes(self._buffer[:length])
        del self._buffer[:length]
        return content

    def _line(self) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                raise _ProtocolError("a chunk line over 64 KiB")
            self._fill()
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_field = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_field, 16)
            except ValueError:
                raise _ProtocolError(f"chunk size {size_field[:20]!r}") from None
            if size == 0:
                while self._line():  # trailer fields, up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self._exactly(size))
            if self._exactly(2) != b"\r\n":
                raise _ProtocolError("a chunk not followed by CRLF")

    def _to_close(self) -> bytes:
        while chunk := self.sock.recv(_READ):
            self._buffer += chunk
        content = bytes(self._buffer)
        self._buffer.clear()
        return content


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
