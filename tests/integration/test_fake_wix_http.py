"""The fake Wix's own HTTP/1.1 server: keep-alive, chunked bodies, malformed requests, stop."""

import json
import socket

import httpx
import pytest


def _key_headers(fake):
    return {"Authorization": fake.api_key, "wix-site-id": fake.site_id}


def test_calls_share_one_kept_alive_connection(fake_wix):
    ports = set()
    with httpx.Client(base_url=fake_wix.url, headers=_key_headers(fake_wix), timeout=5) as client:
        for _ in range(5):
            with client.stream("POST", "/bookings/v2/services/query", json={}) as answer:
                ports.add(answer.extensions["network_stream"].get_extra_info("socket").getsockname()[1])
                answer.read()

    assert len(ports) == 1


def test_a_chunked_body_is_read_whole(fake_wix):
    body = json.dumps({"query": {"filter": {"name": "Intro call"}}}).encode()
    fake_wix.add_service("Intro call")

    answer = httpx.post(
        f"{fake_wix.url}/bookings/v2/services/query",
        content=iter([body[:10], body[10:]]),  # an iterator: httpx sends it chunked
        headers=_key_headers(fake_wix),
        timeout=5,
    )

    assert answer.status_code == 200
    assert [s["name"] for s in answer.json()["services"]] == ["Intro call"]
    assert fake_wix.requests[-1].headers["transfer-encoding"] == "chunked"


def test_a_malformed_request_gets_400_and_a_closed_connection(fake_wix):
    port = int(fake_wix.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.sendall(b"NOT-HTTP\r\n\r\n")
        answer = raw.recv(4096)

    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in answer


def test_stop_cuts_kept_alive_connections(fake_wix):
    client = httpx.Client(base_url=fake_wix.url, headers=_key_headers(fake_wix), timeout=5)
    client.post("/bookings/v2/services/query", json={})

    fake_wix.stop()

    with pytest.raises(httpx.TransportError):
        client.post("/bookings/v2/services/query", json={})
    client.close()
