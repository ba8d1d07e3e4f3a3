"""WixClient: one site's typed Wix APIs over this thread's pooled HTTP client; make_wix_client()."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from processor.config import Settings
from processor.wix.auth import ApiKeyAuth, InstanceTokenAuth, MemoryTokenCache, TokenCache
from processor.wix.availability import AvailabilityApi
from processor.wix.bookings import BookingsApi
from processor.wix.calendar_events import CalendarEventsApi
from processor.wix.calendar_schedules import SchedulesApi
from processor.wix.calendars import CalendarsApi
from processor.wix.contributors import ContributorsApi
from processor.wix.limiter import SiteLimiter, limiter_for_site
from processor.wix.orders import OrdersApi
from processor.wix.provisioning import ProvisioningApi
from processor.wix.services import ServicesApi
from processor.wix.staff import StaffApi
from processor.wix.transport import DEFAULT_TIMEOUT, WixTransport, shared_http_client

_process_token_cache = MemoryTokenCache()


class WixNotConfiguredError(Exception):
    """Neither app credentials nor an API key are set (or app mode lacks an instance id)."""


class WixClient:
    """Every Wix API this product uses, for one site: `client.services.get(id)`, …"""

    def __init__(self, transport: WixTransport, site_key: str) -> None:
        self.transport = transport
        self.site_key = site_key
        self.services = ServicesApi(transport)
        self.bookings = BookingsApi(transport)
        self.availability = AvailabilityApi(transport)
        self.staff = StaffApi(transport)
        self.contributors = ContributorsApi(transport)
        self.provisioning = ProvisioningApi(transport)
        self.calendars = CalendarsApi(transport)
        self.calendar_events = CalendarEventsApi(transport)
        self.schedules = SchedulesApi(transport)
        self.orders = OrdersApi(transport, self.bookings)

    def __repr__(self) -> str:
        return f"WixClient(site={self.site_key!r}, auth={self.transport.auth!r})"


def make_wix_client(
    settings: Settings,
    instance_id: str | None = None,
    token_cache: TokenCache | None = None,
    *,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    limiter: SiteLimiter | None = None,
    limiter_factory: Callable[[str], SiteLimiter] | None = None,
) -> WixClient:
    """A client for one site, in the auth mode the settings choose (app first, then API key).

    The site's request budget: `limiter`, else `limiter_factory(site key)` (workers: shared through
    Redis or the store), else this process's own."""
    http = shared_http_client(settings.wix_api_base_url)
    auth: ApiKeyAuth | InstanceTokenAuth
    mode = settings.wix_auth_mode
    if mode == "app" and settings.wix_app_id and settings.wix_app_secret:
        if not instance_id:
            raise WixNotConfiguredError(
                "WIX_APP_ID/WIX_APP_SECRET are set (app mode): an instance id is needed per site"
            )
        auth = InstanceTokenAuth(
            settings.wix_app_id,
            settings.wix_app_secret,
            instance_id,
            http,
            token_cache if token_cache is not None else _process_token_cache,
        )
        site_key = instance_id
    elif mode == "api_key" and settings.wix_api_key and settings.wix_site_id:
        auth = ApiKeyAuth(settings.wix_api_key, settings.wix_site_id)
        site_key = settings.wix_site_id
    else:
        raise WixNotConfiguredError(
            "Wix is not configured: set WIX_APP_ID and WIX_APP_SECRET (app mode), "
            "or WIX_API_KEY and WIX_SITE_ID (one site)"
        )
    if limiter is None:
        limiter = limiter_factory(site_key) if limiter_factory is not None else limiter_for_site(site_key)
    transport = WixTransport(http, auth, limiter, timeout=timeout)
    return WixClient(transport, site_key)
