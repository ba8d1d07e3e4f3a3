"""The console's security rules, through the real app on a real store (SQLite) and broker (embedded)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from structlog.testing import capture_logs

from processor.web.console.security import CSP, SESSION_LIFETIME

ADMIN = "admin-token-for-the-console-tests"
VIEWER = "viewer-token-for-the-console-tests"
SECRET = "a-secret-key-of-at-least-thirty-two-characters"
PAGES = ("/admin", "/admin/events", "/admin/attention", "/admin/sites", "/admin/replay?status=dead")


@pytest.fixture
def console(make_pipeline: Any) -> Any:
    """A pipeline on SQLite and the embedded broker with both console tokens (no worker)."""
    return make_pipeline(
        store="sqlite", broker="embedded", ADMIN_TOKEN=ADMIN, ADMIN_VIEWER_TOKEN=VIEWER, SECRET_KEY=SECRET
    )


def _csrf(client: Any, path: str = "/admin") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)[:500]
    return found.group(1)


def _sign_in(client: Any, token: str, **environ: str) -> Any:
    return client.post(
        "/admin/sign-in",
        data={"token": token, "csrf_token": _csrf(client), "next": "/admin/events"},
        environ_base=environ,
    )


def _console_posts(app: Any) -> list[str]:
    """Every POST route of the console, with sample values for its parameters."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and "POST" in (rule.methods or ()):
            paths.append(
                re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0) else "svc-1", rule.rule)
            )
    return sorted(paths)


def test_without_tokens_everything_under_admin_answers_404(make_pipeline: Any) -> None:
    pipeline = make_pipeline(store="sqlite", broker="embedded")

    answers = [pipeline.client.get(path).status_code for path in (*PAGES, "/admin/static/console.css")]
    posted = pipeline.client.post("/admin/sign-in", data={"token": "x"})
    api = pipeline.client.get("/admin/api/events", headers={"Authorization": "Bearer x"})

    assert set(answers) == {404}
    assert posted.status_code == 404
    assert api.status_code == 404
    assert "Set-Cookie" not in posted.headers


def test_sign_in_sets_an_httponly_lax_cookie_for_admin_that_expires(console: Any) -> None:
    answer = _sign_in(console.client, ADMIN)

    cookie = answer.headers["Set-Cookie"]
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/admin/events"
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/admin" in cookie
    assert "Expires=" in cookie
    assert "Secure" not in cookie  # PUBLIC_BASE_URL is http here
    assert ADMIN not in cookie


def test_the_cookie_is_secure_when_the_public_url_is_https(make_pipeline: Any) -> None:
    pipeline = make_pipeline(
        store="sqlite", broker="embedded", ADMIN_TOKEN=ADMIN, SECRET_KEY=SECRET,
        PUBLIC_BASE_URL="https://meetings.example.com",
    )  # fmt: skip

    answer = _sign_in(pipeline.client, ADMIN)

    assert "Secure" in answer.headers["Set-Cookie"]


def test_every_page_sends_a_strict_csp_and_no_sniff_no_referrer_no_framing(console: Any) -> None:
    _sign_in(console.client, ADMIN)

    for path in (*PAGES, "/admin/events/999"):
        headers = console.client.get(path).headers
        assert headers["Content-Security-Policy"] == CSP, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cache-Control"] == "no-store"
    assert "'unsafe-inline'" not in CSP
    assert "default-src 'none'" in CSP
    assert "frame-ancestors 'none'" in CSP


def test_a_post_without_the_csrf_token_or_with_a_wrong_one_is_refused(console: Any) -> None:
    no_token = console.client.post("/admin/sign-in", data={"token": ADMIN})
    _sign_in(console.client, ADMIN)
    wrong = console.client.post("/admin/replay", data={"status": "dead", "csrf_token": "forged"})
    missing = console.client.post("/admin/sign-out")

    assert (no_token.status_code, wrong.status_code, missing.status_code) == (403, 403, 403)
    assert console.client.get("/admin/events").status_code == 200  # still signed in


def test_wrong_tokens_are_rate_limited_per_address_and_logged(console: Any) -> None:
    with capture_logs() as logs:
        answers = [_sign_in(console.client, "wrong", REMOTE_ADDR="10.0.0.7").status_code for _ in range(6)]
        right_but_limited = _sign_in(console.client, ADMIN, REMOTE_ADDR="10.0.0.7")
        other_address = _sign_in(console.client, ADMIN, REMOTE_ADDR="10.0.0.8")

    assert answers == [401] * 5 + [429]
    assert right_but_limited.status_code == 429
    assert int(right_but_limited.headers["Retry-After"]) > 0
    assert other_address.status_code == 303
    failures = [e for e in logs if e["event"] == "console.sign_in_failed"]
    assert [e["failures"] for e in failures] == [1, 2, 3, 4, 5]
    assert {e["remote"] for e in failures} == {"10.0.0.7"}
    assert any(e["event"] == "console.sign_in_limited" for e in logs)
    assert all("wrong" not in str(e.values()) for e in logs)


def test_the_viewer_sees_every_page_and_gets_403_on_every_post(console: Any) -> None:
    _sign_in(console.client, VIEWER)
    token = _csrf(console.client, "/admin/events")

    pages = {path: console.client.get(path).status_code for path in PAGES}
    posts = _console_posts(console.app)
    refused = {
        path: console.client.post(path, data={"csrf_token": token, "status": "dead"}).status_code
        for path in posts
        if not path.endswith(("/sign-in", "/sign-out"))
    }

    assert set(pages.values()) == {200}
    assert sorted(refused) == [
        "/admin/events/1/replay", "/admin/jobs/1/cancel", "/admin/links/svc-1/activate", "/admin/replay"
    ]  # fmt: skip
    assert set(refused.values()) == {403}, refused


def test_pages_need_a_session_and_sign_in_returns_only_inside_the_console(console: Any) -> None:
    anonymous = console.client.get("/admin/events?status=dead")
    anonymous_post = console.client.post("/admin/replay", data={"csrf_token": _csrf(console.client)})
    evil = console.client.post(
        "/admin/sign-in",
        data={"token": ADMIN, "csrf_token": _csrf(console.client), "next": "https://evil.example/admin"},
    )

    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/admin?next=")
    assert evil.headers["Location"] == "/admin"
    assert anonymous_post.status_code == 401


def test_a_session_ends_after_its_lifetime_and_when_the_token_changes(
    console: Any, make_pipeline: Any
) -> None:
    _sign_in(console.client, ADMIN)
    with console.client.session_transaction() as session:
        session["signed_in_at"] = int(time.time() - SESSION_LIFETIME.total_seconds() - 1)
    expired = console.client.get("/admin/events")
    _sign_in(console.client, ADMIN)
    rotated = make_pipeline(
        store="sqlite", broker="embedded", ADMIN_TOKEN="a-new-admin-token", SECRET_KEY=SECRET,
        DATABASE_URL=console.settings.database_url,
    )  # fmt: skip
    rotated.client.set_cookie(
        "wix_meetings_console",
        console.client.get_cookie("wix_meetings_console", path="/admin").value,
        path="/admin",
    )

    assert expired.status_code == 302
    assert rotated.client.get("/admin/events").status_code == 302


def test_sign_out_ends_the_session(console: Any) -> None:
    _sign_in(console.client, ADMIN)

    answer = console.client.post(
        "/admin/sign-out", data={"csrf_token": _csrf(console.client, "/admin/events")}
    )

    assert answer.status_code == 303
    assert console.client.get("/admin/events").status_code == 302


def test_the_admin_api_takes_the_viewer_token_for_reading_only(console: Any) -> None:
    viewer = {"Authorization": f"Bearer {VIEWER}"}

    listed = console.client.get("/admin/api/events", headers=viewer)
    replayed = console.client.post("/admin/api/replay", json={"status": "dead"}, headers=viewer)
    one = console.client.post("/admin/api/events/1/replay", headers=viewer)
    wrong = console.client.get("/admin/api/events", headers={"Authorization": "Bearer nope"})

    assert listed.status_code == 200
    assert (replayed.status_code, one.status_code) == (403, 403)
    assert wrong.status_code == 401


def test_payload_text_is_escaped_in_the_event_page(console: Any, signed_event: Any) -> None:
    body = {"note": "<script>alert(1)</script>", "other": '"><img src=x onerror=alert(2)>'}
    event_id = console.post(signed_event("test.succeeds", entity_id="x-1", body=body)).json["event_id"]
    _sign_in(console.client, VIEWER)

    html = console.client.get(f"/admin/events/{event_id}").get_data(as_text=True)

    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
