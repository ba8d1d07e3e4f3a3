"""StdlibHttp: Wix requests over kept-alive HTTP/1.1 sockets, against real HTTP servers on loopback
(http.server's, and a scripted one that answers with the exact bytes a test gives)."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
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


@pytest.fixture
def scripted() -> Iterator[tuple[StdlibHttp, list[bytes], list[bytes]]]:
    """A loopback server that reads one request per answer and writes the next scripted answer's
    bytes as given, then closes when the script is done; the requests it read are kept."""
    answers: list[bytes] = []
    requests: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn:
                    while answers:
                        data = conn.recv(65536)
                        if not data:
                            break
                        requests.append(data)
                        conn.sendall(answers.pop(0))

    threading.Thread(target=serve, daemon=True).start()
    client = StdlibHttp(f"http://127.0.0.1:{listener.getsockname()[1]}")
    yield client, answers, requests
    client.close()
    listener.close()


def test_a_chunked_answer_with_an_interim_100_and_a_trailer_is_read_whole(scripted) -> None:
    http, answers, _ = scripted
    answers.append(
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5;ext=1\r\n{"a":\r\n3\r\n 1}\r\n0\r\nX-Trailer: t\r\n\r\n'
    )
    answers.append(b"HTTP/1.1 204 No Content\r\n\r\n")

    first = get(http, "/chunked")
    second = get(http, "/empty")

    assert (first.status_code, first.json()) == (200, {"a": 1})
    assert (second.status_code, second.content) == (204, b"")


def test_an_answer_without_a_length_is_read_to_the_close_and_its_connection_not_kept(scripted) -> None:
    http, answers, requests = scripted
    answers.append(b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"done": true}')

    answer = http.send("POST", "/x", headers={"Authorization": "k"}, body=None, timeout=TIMEOUT)

    assert answer.json() == {"done": True}
    assert http._idle == []
    assert b"Content-Length: 0\r\n" in requests[0]  # a POST without a body says so
    assert requests[0].startswith(b"POST /x HTTP/1.1\r\nHost: 127.0.0.1:")


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 2000 Odd\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\ncut short",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Long: " + b"a" * 70_000 + b"\r\n\r\n",
    ],
    ids=["not-http", "bad-status", "bad-header", "bad-length", "cut-short", "bad-chunk", "head-too-long"],
)
def test_an_answer_that_is_not_http_1_1_is_a_protocol_error(scripted, answer: bytes) -> None:
    http, answers, _ = scripted
    answers.append(answer)

    with pytest.raises(httpx.RemoteProtocolError):
        get(http, "/odd")


@pytest.mark.parametrize(
    ("target", "headers"),
    [("/a b", {}), ("/a\r\nX: y", {}), ("/ok", {"Authorization": "k\r\nX-Injected: 1"})],
)
def test_a_request_that_would_split_is_refused_before_it_is_sent(http: StdlibHttp, target, headers) -> None:
    with pytest.raises(ValueError, match="line break"):
        http.send("GET", target, headers=headers, body=None, timeout=TIMEOUT)
