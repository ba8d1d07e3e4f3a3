"""StdlibHttp: Wix requests over http.client, kept alive, against a real HTTP server on loopback."""

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

from processor.wix.stdlib_http import PROXY_VARIABLES, Http, HttpxHttp, StdlibHttp, http_for_environment
from processor.wix.transport import json_body, query_string
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
        self._answer({"path": self.path, "host": self.headers["host"], "agent": self.headers["user-agent"]})

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
def http(server: _Server) -> Iterator[StdlibHttp]:
    client = StdlibHttp(f"http://127.0.0.1:{server.server_address[1]}")
    yield client
    client.close()


TIMEOUT = httpx.Timeout(5.0)


def get(http: Http, target: str, timeout: httpx.Timeout = TIMEOUT) -> Any:
    return http.send("GET", target, headers={}, body=None, timeout=timeout)


def test_requests_share_one_kept_alive_connection(http: StdlibHttp, server: _Server) -> None:
    answers = [
        http.send(
            "POST", "/orders", headers={"Authorization": "key"}, body=json_body({"n": n}), timeout=TIMEOUT
        )
        for n in range(20)
    ]

    assert [a.json()["echo"] for a in answers] == [{"n": n} for n in range(20)]
    assert {a.json()["auth"] for a in answers} == {"key"}
    assert server.connections == 1


def test_query_strings_status_and_headers_come_back_as_they_were_sent(http: StdlibHttp) -> None:
    found = get(http, "/bookings" + query_string({"q": "a b/ü", "all": True, "none": None}))
    missing = get(http, "/missing/thing")

    assert found.json()["path"] == "/bookings?q=a+b%2F%C3%BC&all=true&none="
    assert found.json()["host"].startswith("127.0.0.1:")
    assert found.json()["agent"] == "wix-meetings-processor"
    assert found.headers["content-type"] == "application/json"
    assert (missing.status_code, missing.is_success, missing.reason_phrase) == (404, False, "Not Found")


def test_a_base_url_with_a_path_prefixes_every_target(server: _Server) -> None:
    prefixed = StdlibHttp(f"http://127.0.0.1:{server.server_address[1]}/api/")

    assert get(prefixed, "/orders?x=1").json()["path"] == "/api/orders?x=1"


def test_a_gzip_answer_is_read_decoded(http: StdlibHttp, server: _Server) -> None:
    assert get(http, "/gzip/order").json() == {
        "path": "/gzip/order",
        "host": f"127.0.0.1:{server.server_address[1]}",
        "agent": "wix-meetings-processor",
    }


def test_a_connection_the_server_closed_is_not_reused(http: StdlibHttp, server: _Server) -> None:
    server.close_after_answer = True
    statuses = [get(http, f"/n/{n}").status_code for n in range(3)]
    server.close_after_answer = False
    statuses += [get(http, f"/n/{n}").status_code for n in range(3)]

    assert statuses == [200] * 6
    assert server.connections == 4  # one per closed answer, then one kept alive


def test_a_slow_answer_is_a_read_timeout_and_the_next_call_gets_a_fresh_connection(
    http: StdlibHttp, server: _Server
) -> None:
    server.delay = 0.5
    with pytest.raises(httpx.ReadTimeout):
        get(http, "/slow", httpx.Timeout(0.1))
    server.delay = 0.0

    assert get(http, "/after").status_code == 200


def test_nobody_listening_is_a_connect_error() -> None:
    with pytest.raises(httpx.ConnectError):
        get(StdlibHttp(f"http://127.0.0.1:{free_port()}"), "/anything")


def test_a_proxy_in_the_environment_gets_an_httpx_client_that_answers_alike(
    monkeypatch: pytest.MonkeyPatch, server: _Server
) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    direct = http_for_environment(base)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")  # not for http://127.0.0.1
    proxied = http_for_environment(base)

    assert isinstance(direct, StdlibHttp)
    assert isinstance(proxied, HttpxHttp)
    assert get(proxied, "/orders?x=1").json() == get(direct, "/orders?x=1").json()
    assert get(proxied, "/missing/x").headers["content-type"] == "application/json"
    proxied.close()
