"""The fake Wix API's HTTP/1.1 server: keep-alive, one thread per connection, cheap on CPU.

Werkzeug's development server closes every connection, so each call costs a TCP handshake and a new
thread (about 1.3 ms of CPU a request, measured); this server keeps connections open and parses only
what the fake needs (about 0.1 ms). It is for loopback clients: httpx, curl, a browser.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from io import BufferedIOBase
from urllib.parse import parse_qs, unquote

MAX_LINE = 65536
MAX_HEADERS = 100
IDLE_TIMEOUT_SECONDS = 60.0  # an idle keep-alive connection is closed after this


@dataclass
class HttpRequest:
    """One parsed request; header names lowercased."""

    method: str
    raw_path: str
    query_string: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return unquote(self.raw_path)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.headers.get('host', '127.0.0.1')}"


@dataclass
class HttpAnswer:
    """What to send back; `drop` closes the connection without an answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


Application = Callable[[HttpRequest], HttpAnswer]


class _BadRequestError(Exception):
    pass


def _read_line(rfile: BufferedIOBase) -> bytes:
    line = rfile.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise _BadRequestError("line too long")
    return line


def _read_chunked(rfile: BufferedIOBase) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int(_read_line(rfile).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while _read_line(rfile) not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(parts)
        parts.append(rfile.read(size))
        _read_line(rfile)


def read_request(rfile: BufferedIOBase, wfile: BufferedIOBase) -> tuple[HttpRequest, bool] | None:
    """The next request on a connection and whether to keep it open; None when the client closed."""
    line = _read_line(rfile)
    while line in (b"\r\n", b"\n"):  # tolerated between requests (RFC 9112 §2.2)
        line = _read_line(rfile)
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequestError("bad request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        header = _read_line(rfile)
        if header in (b"\r\n", b"\n", b""):
            break
        name, colon, value = header.decode("latin-1").partition(":")
        if not colon:
            raise _BadRequestError("bad header line")
        headers[name.strip().lower()] = value.strip()
    else:
        raise _BadRequestError("too many headers")
    if headers.get("expect", "").lower() == "100-continue":
        wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _read_chunked(rfile)
    else:
        length = headers.get("content-length", "0") or "0"
        if not length.isdigit():
            raise _BadRequestError("bad content-length")
        body = rfile.read(int(length)) if int(length) else b""
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
    raw_path, _, query_string = target.partition("?")
    return HttpRequest(method, raw_path, query_string, headers, body), keep_alive


def encode_answer(answer: HttpAnswer, keep_alive: bool) -> bytes:
    """Status line, headers and body in one buffer (one write: no Nagle delay between them)."""
    try:
        reason = HTTPStatus(answer.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {answer.status} {reason}", f"Content-Length: {len(answer.body)}"]
    lines.extend(f"{name}: {value}" for name, value in answer.headers.items())
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + answer.body


class _Handler(socketserver.StreamRequestHandler):
    server: FakeHttpServer
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_SECONDS

    def handle(self) -> None:
        self.server.track(self.connection, open_=True)
        try:
            self._serve_connection()
        except (OSError, ValueError):  # reset by the client, idle timeout, closed at stop()
            pass
        finally:
            self.server.track(self.connection, open_=False)

    def _serve_connection(self) -> None:
        while True:
            try:
                parsed = read_request(self.rfile, self.wfile)
            except _BadRequestError:
                self.wfile.write(encode_answer(HttpAnswer(400), keep_alive=False))
                return
            if parsed is None:
                return
            request, keep_alive = parsed
            answer = self.server.application(request)
            if answer.drop:
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(encode_answer(answer, keep_alive))
            if not keep_alive:
                return


class FakeHttpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Serves `application` on (host, port); `port` 0 picks a free one."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, host: str, port: int, application: Application) -> None:
        self.application = application
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """Cut every open keep-alive connection (after stop, clients see the server gone)."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
