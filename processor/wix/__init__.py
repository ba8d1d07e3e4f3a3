"""Typed clients for the Wix REST APIs the processor uses; imports config, never store (httpx only
for its timeout and error types)."""

from processor.wix.auth import ApiKeyAuth, InstanceTokenAuth, MemoryTokenCache, TokenCache
from processor.wix.client import WixClient, WixNotConfiguredError, make_wix_client
from processor.wix.errors import (
    WixBadResponseError,
    WixConflictError,
    WixError,
    WixInvalidIdError,
    WixNotFoundError,
    WixPermissionError,
    WixPreconditionError,
    WixRateLimitedError,
    WixRejectedError,
    WixUnavailableError,
    WixValidationError,
    parse_retry_after,
)
from processor.wix.services import MEETINGS_APP_ID

__all__ = [
    "MEETINGS_APP_ID",
    "ApiKeyAuth",
    "InstanceTokenAuth",
    "MemoryTokenCache",
    "TokenCache",
    "WixBadResponseError",
    "WixClient",
    "WixConflictError",
    "WixError",
    "WixInvalidIdError",
    "WixNotConfiguredError",
    "WixNotFoundError",
    "WixPermissionError",
    "WixPreconditionError",
    "WixRateLimitedError",
    "WixRejectedError",
    "WixUnavailableError",
    "WixValidationError",
    "make_wix_client",
    "parse_retry_after",
]
