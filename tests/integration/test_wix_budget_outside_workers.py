"""The console and the calendar return page spend a site's Wix budget with the workers, not beside them.

Wix allows 200 requests a minute per site, whoever sends them. The workers share that budget through
Redis (a Redis broker) or the store (the embedded defaults); a person turning a link on in the console
spends the same budget, so when the workers have used it up the console says so instead of sending.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from processor.devtools.fake_wix import FakeWix
from processor.store.rate_limits import StoreBudgets
from processor.wix.limiter import Budget
from processor.wix.redis_limits import RedisBudgets

ADMIN = "admin-token-for-the-budget-tests"
SECRET = "a-secret-key-of-at-least-thirty-two-characters"


def _spend_the_sites_budget(pipeline: Any, site_key: str) -> None:
    """Take the site's budget as busy workers would, until a take is refused."""
    broker = pipeline.settings.celery_broker_url
    take = (
        RedisBudgets(broker).take if broker.startswith("redis://") else StoreBudgets(pipeline.sessions).take
    )
    for _ in range(1_000):
        granted, _wait = take(f"wix-site:{site_key}", Budget())
        if not granted:
            return
    raise AssertionError("the budget was never spent")


def _admin_post(client: Any, path: str, data: dict[str, str]) -> Any:
    page = client.get("/admin")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert csrf is not None
    client.post("/admin/sign-in", data={"token": ADMIN, "csrf_token": csrf.group(1), "next": "/admin"})
    page = client.get("/admin/attention")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert csrf is not None
    return client.post(path, data={**data, "csrf_token": csrf.group(1)}, follow_redirects=True)


@pytest.mark.parametrize("broker", ["embedded", "redis"])
def test_turning_a_link_on_in_the_console_waits_for_the_budget_the_workers_spent(
    make_pipeline: Any, fake_wix: FakeWix, broker: str
) -> None:
    pipeline = make_pipeline(
        store="sqlite",
        broker=broker,
        ADMIN_TOKEN=ADMIN,
        SECRET_KEY=SECRET,
        WIX_API_BASE_URL=fake_wix.url,
        WIX_API_KEY=fake_wix.api_key,
        WIX_SITE_ID=fake_wix.site_id,
    )
    service = fake_wix.add_service("Intro call", enabled=False)
    _spend_the_sites_budget(pipeline, fake_wix.site_id)
    sent_before = len(fake_wix.requests)

    page = _admin_post(pipeline.client, f"/admin/links/{service['id']}/activate", {"instance_id": ""})

    assert len(fake_wix.requests) == sent_before  # nothing sent past the shared budget
    assert fake_wix.services[service["id"]]["onlineBooking"]["enabled"] is False
    text = page.get_data(as_text=True)
    assert "Wix did not turn the link on" in text
    assert "budget" in text
