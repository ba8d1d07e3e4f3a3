"""Both auth modes against the fake: API key, per-instance tokens cached, shared and refreshed."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from processor.config import load_settings
from processor.store.models import WixToken
from processor.store.tokens import StoreTokenCache
from processor.wix import MemoryTokenCache, WixNotConfiguredError, WixPermissionError, make_wix_client

TWO_PROCESS_SCRIPT = """
import os
from processor.config import load_settings
from processor.store.db import make_engine, make_sessions
from processor.store.tokens import StoreTokenCache
from processor.wix import make_wix_client

settings = load_settings(dict(os.environ))
cache = StoreTokenCache(make_sessions(make_engine(os.environ["TOKEN_DB_URL"])))
client = make_wix_client(settings, os.environ["INSTANCE_ID"], cache)
print(len(list(client.services.query_all())))
"""


def test_api_key_mode_sends_key_and_site_id(wix_client, fake_wix):
    wix_client.services.query()

    sent = fake_wix.requests[-1]
    assert sent.headers["wix-site-id"] == fake_wix.site_id
    assert sent.headers["authorization"] == "<redacted>"
    assert fake_wix.tokens_issued == 0


def test_wrong_api_key_is_a_permission_error(wix_settings, fake_wix):
    fake_wix.api_key = "rotated-key"

    with pytest.raises(WixPermissionError) as caught:
        make_wix_client(wix_settings).services.query()

    assert caught.value.status == 401


def test_app_mode_fetches_one_token_and_reuses_it(wix_app_client, fake_wix):
    for _ in range(3):
        wix_app_client.services.query()

    token_request = fake_wix.requests_to("/oauth2/token")[0]
    assert fake_wix.tokens_issued == 1
    assert token_request.json == {
        "grant_type": "client_credentials",
        "client_id": fake_wix.app_id,
        "client_secret": "<redacted>",
        "instance_id": fake_wix.instance_id,
    }


def test_token_close_to_expiry_is_replaced(wix_app_settings, fake_wix):
    cache = MemoryTokenCache()
    cache.put(fake_wix.instance_id, "old-token", datetime.now(UTC) + timedelta(minutes=4))

    make_wix_client(wix_app_settings, fake_wix.instance_id, cache).services.query()

    assert fake_wix.tokens_issued == 1
    assert cache.get(fake_wix.instance_id)[0] != "old-token"


def test_revoked_token_is_refreshed_once_and_the_call_retried(wix_app_client, fake_wix):
    wix_app_client.services.query()
    fake_wix.revoke_tokens()

    page = wix_app_client.services.query()

    assert page.services == ()
    assert fake_wix.tokens_issued == 2
    assert len(fake_wix.requests_to("/services/query")) == 3


def test_second_401_after_refresh_is_a_permission_error(wix_app_client, fake_wix):
    fake_wix.fail_next("/services/query", status=401, times=2)

    with pytest.raises(WixPermissionError):
        wix_app_client.services.query()

    assert fake_wix.tokens_issued == 2


def test_wrong_app_secret_fails_without_revealing_it(fake_wix, wix_app_settings):
    fake_wix.app_secret = "the-real-secret"

    with pytest.raises(WixPermissionError) as caught:
        make_wix_client(wix_app_settings, fake_wix.instance_id, MemoryTokenCache()).services.query()

    assert wix_app_settings.wix_app_secret not in str(caught.value)


def test_no_credentials_in_reprs(wix_client, wix_app_client, wix_settings, wix_app_settings):
    texts = repr(wix_client) + repr(wix_app_client) + repr(wix_client.transport.auth)

    assert wix_settings.wix_api_key not in texts
    assert wix_app_settings.wix_app_secret not in texts


def test_unconfigured_wix_names_the_settings(fake_wix_public_key_pem):
    settings = load_settings({"WIX_PUBLIC_KEY": fake_wix_public_key_pem})

    with pytest.raises(WixNotConfiguredError) as caught:
        make_wix_client(settings)

    for name in ("WIX_APP_ID", "WIX_APP_SECRET", "WIX_API_KEY", "WIX_SITE_ID"):
        assert name in str(caught.value)


def test_app_mode_needs_an_instance_id(wix_app_settings):
    with pytest.raises(WixNotConfiguredError):
        make_wix_client(wix_app_settings)


def test_two_processes_share_one_token_through_the_store(
    store_url, sessions, wix_app_settings, fake_wix, fake_wix_public_key_pem
):
    cache = StoreTokenCache(sessions)
    make_wix_client(wix_app_settings, fake_wix.instance_id, cache).services.query()
    env = {
        **os.environ,
        "WIX_PUBLIC_KEY": fake_wix_public_key_pem,
        "WIX_APP_ID": fake_wix.app_id,
        "WIX_APP_SECRET": fake_wix.app_secret,
        "WIX_API_BASE_URL": fake_wix.url,
        "TOKEN_DB_URL": store_url,
        "INSTANCE_ID": fake_wix.instance_id,
    }

    child = subprocess.run(
        [sys.executable, "-c", TWO_PROCESS_SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )

    assert child.returncode == 0, child.stderr
    assert fake_wix.tokens_issued == 1
    assert len(fake_wix.requests_to("/services/query")) == 2
    with sessions() as session:
        assert session.scalar(select(WixToken.instance_id)) == fake_wix.instance_id


def test_store_cache_drop_forgets_the_token(sessions):
    cache = StoreTokenCache(sessions)
    expires = datetime.now(UTC) + timedelta(hours=4)

    cache.put("inst", "tok", expires)
    cache.put("inst", "tok2", expires)
    stored = cache.get("inst")
    cache.drop("inst")

    assert stored == ("tok2", expires)
    assert cache.get("inst") is None
