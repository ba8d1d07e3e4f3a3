"""StdlibTransport: httpx requests over http.client, kept alive, against a real HTTP server on loopback."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from processor.wix.stdlib_http import PROXY_VARIABLES, StdlibTransport, transport_for_environment
from tests.fixtures.servers import free_port


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0
    close_after_answer = False
    delay = 0.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_GET(self) -> None:
        self._answer({"path": self.path, "host": self.headers["host"]})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self._answer({"echo": json.loads(body), "auth": self.headers.get("authorization")})

    def _answer(self, document: dict[str, Any]) -> None:
        time.sleep(self.server.delay)
        raw = json.dumps(document).encode()
        zipped = self.path.startswith("/gzip")
        if zipped:
            raw = gzip.compress(raw)
        self.send_response(404 if self.path.startswith("/missing") else 200)
        self.send_header("content-type", "application/json")
        if zipped:
            self.send_header("content-encoding", "gzip")
        self.send_header("content-length", str(len(raw)))
        if self.server.close_after_answer:
            self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(raw)
        if self.server.close_after_answer:
            self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def client(server: _Server) -> Iterator[httpx.Client]:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with httpx.Client(base_url=base, transport=StdlibTransport(), timeout=httpx.Timeout(5.0)) as http:
        yield http


def test_requests_share_one_kept_alive_connection(client: httpx.Client, server: _Server) -> None:
    answers = [client.post("/orders", json={"n": n}, headers={"Authorization": "key"}) for n in range(20)]

    assert [a.json()["echo"] for a in answers] == [{"n": n} for n in range(20)]
    assert {a.json()["auth"] for a in answers} == {"key"}
    assert server.connections == 1


def test_query_strings_status_and_headers_reach_httpx_as_they_came(client: httpx.Client) -> None:
    found = client.get("/bookings", params={"q": "a b/ü"})
    missing = client.get("/missing/thing")

    assert found.json()["path"] == "/bookings?q=a+b%2F%C3%BC"
    assert found.json()["host"].startswith("127.0.0.1:")
    assert found.headers["content-type"] == "application/json"
    assert (missing.status_code, missing.is_success, missing.reason_phrase) == (404, False, "Not Found")


def test_a_gzip_answer_is_read_decoded(client: httpx.Client) -> None:
    assert client.get("/gzip/order").json() == {
        "path": "/gzip/order",
        "host": client.base_url.netloc.decode(),
    }


def test_a_connection_the_server_closed_is_not_reused(client: httpx.Client, server: _Server) -> None:
    server.close_after_answer = True
    statuses = [client.get(f"/n/{n}").status_code for n in range(3)]
    server.close_after_answer = False
    statuses += [client.get(f"/n/{n}").status_code for n in range(3)]

    assert statuses == [200] * 6
    assert server.connections == 4  # one per closed answer, then one kept alive


def test_a_slow_answer_is_a_read_timeout_and_the_next_call_gets_a_fresh_connection(
    client: httpx.Client, server: _Server
) -> None:
    server.delay = 0.5
    with pytest.raises(httpx.ReadTimeout):
        client.get("/slow", timeout=httpx.Timeout(0.1))
    server.delay = 0.0

    assert client.get("/after").status_code == 200


def test_nobody_listening_is_a_connect_error() -> None:
    http = httpx.Client(base_url=f"http://127.0.0.1:{free_port()}", transport=StdlibTransport())

    with pytest.raises(httpx.ConnectError):
        http.get("/anything")


def test_a_proxy_in_the_environment_gets_httpx_own_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    direct = transport_for_environment()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")

    assert isinstance(direct, StdlibTransport)
    assert isinstance(transport_for_environment(), httpx.HTTPTransport)
