"""Settings: every knob of the processor, read once from the environment (and `.env`)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

REFUND_POLICIES = ("window", "always", "never")
LOG_FORMATS = ("json", "console")
WORKER_POOLS = ("threads", "prefork")

DEFAULT_DATABASE_URL = "sqlite:///var/wix-meetings.sqlite3"
DEFAULT_BROKER_URL = "sqla+sqlite:///var/broker.sqlite3"
DEFAULT_WIX_API_BASE_URL = "https://www.wixapis.com"
DEV_KEY_DIR = Path("var") / "dev-keys"
DEV_PUBLIC_KEY = DEV_KEY_DIR / "public.pem"
DEV_PRIVATE_KEY = DEV_KEY_DIR / "private.pem"
SECRET_KEY_FILE = Path("var") / "secret-key"
SECRET_KEY_MIN_LENGTH = 32
# Wix retries a webhook for about 47 hours; an event id forgotten sooner than this would let a
# late retry be stored and processed again (deduplication is by the stored Wix event id).
MIN_EVENT_RETENTION_DAYS = 7

_PEM_BLOCK = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


class ConfigError(Exception):
    """A setting is missing or has a bad value; the message names the setting."""


def default_web_workers() -> int:
    """Two gunicorn processes per CPU, at most 8: a sync worker holds no CPU while PostgreSQL
    commits, and 4 gave +30 % over 2 on a 2-core box, 8 nothing more (bench/README.md). Each
    process holds ~100 MB, so a big laptop running `wix-meetings run` does not start 32."""
    return min(8, 2 * (os.cpu_count() or 1))


def default_worker_concurrency(pool: str) -> int:
    """Threads: 32 flows in flight per worker process, since a flow waits on Wix (~100 ms a call)
    far longer than it computes; prefork: one process per CPU, each running one flow at a time
    (docs/decisions.md, "Worker concurrency")."""
    return 32 if pool == "threads" else max(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Everything configurable, typed and validated. Built by `load_settings()`."""

    wix_public_keys: tuple[str, ...]
    wix_app_id: str | None = None
    wix_app_secret: str | None = field(default=None, repr=False)
    wix_api_key: str | None = field(default=None, repr=False)
    wix_site_id: str | None = None
    wix_api_base_url: str = DEFAULT_WIX_API_BASE_URL
    database_url: str = DEFAULT_DATABASE_URL
    celery_broker_url: str = DEFAULT_BROKER_URL
    sweep_interval_seconds: int = 15
    admin_token: str | None = field(default=None, repr=False)
    admin_viewer_token: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    smtp_url: str | None = field(default=None, repr=False)
    notify_from: str = "meetings@localhost"
    notify_fallback_to: str | None = None
    ops_webhook_url: str | None = field(default=None, repr=False)
    max_attempts: int = 8
    notify_max_attempts: int = 10
    retry_base_seconds: int = 30
    retry_max_seconds: int = 21600
    stuck_after_seconds: int = 600
    task_time_limit_seconds: int = 300
    webhook_max_bytes: int = 262144
    jwt_leeway_seconds: int = 60
    refund_policy: str = "window"
    meetings_deactivated_redirect_url: str | None = None
    calendar_poll_seconds: int = 300
    public_base_url: str = "http://127.0.0.1:8000"
    port: int = 8000
    log_format: str = "console"
    web_workers: int = field(default_factory=default_web_workers)
    worker_pool: str = "threads"
    worker_concurrency: int = 32
    retention_days: int = 30
    dead_retention_days: int = 90
    payload_retention_days: int = 14
    purge_interval_seconds: int = 86400

    @property
    def wix_auth_mode(self) -> str | None:
        """`app` (OAuth per instance), `api_key` (one site), or None when Wix is not configured."""
        if self.wix_app_id and self.wix_app_secret:
            return "app"
        if self.wix_api_key and self.wix_site_id:
            return "api_key"
        return None


def read_environment(env_file: str | os.PathLike[str] = ".env") -> dict[str, str]:
    """The process environment over the values of `.env` (the environment wins)."""
    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    values.update(os.environ)
    return values


def load_settings(env: Mapping[str, str] | None = None, *, need_public_key: bool = True) -> Settings:
    """Read every setting once; raise ConfigError naming the first bad one.

    Only the receiver verifies webhooks: workers and ops commands pass `need_public_key=False`.
    """
    env = read_environment() if env is None else env
    port = _positive_int(env, "PORT", default=8000)
    settings = Settings(
        wix_public_keys=_public_keys(env, required=need_public_key),
        wix_app_id=_optional(env, "WIX_APP_ID"),
        wix_app_secret=_optional(env, "WIX_APP_SECRET"),
        wix_api_key=_optional(env, "WIX_API_KEY"),
        wix_site_id=_optional(env, "WIX_SITE_ID"),
        wix_api_base_url=_url(env, "WIX_API_BASE_URL", default=DEFAULT_WIX_API_BASE_URL).rstrip("/"),
        database_url=_database_url(env),
        celery_broker_url=_broker_url(env),
        sweep_interval_seconds=_positive_int(env, "SWEEP_INTERVAL_SECONDS", default=15),
        admin_token=_optional(env, "ADMIN_TOKEN"),
        admin_viewer_token=_optional(env, "ADMIN_VIEWER_TOKEN"),
        secret_key=_secret_key(env),
        smtp_url=_smtp_url(env),
        notify_from=env.get("NOTIFY_FROM") or "meetings@localhost",
        notify_fallback_to=_optional(env, "NOTIFY_FALLBACK_TO"),
        ops_webhook_url=_optional_url(env, "OPS_WEBHOOK_URL"),
        max_attempts=_positive_int(env, "MAX_ATTEMPTS", default=8),
        notify_max_attempts=_positive_int(env, "NOTIFY_MAX_ATTEMPTS", default=10),
        retry_base_seconds=_positive_int(env, "RETRY_BASE_SECONDS", default=30),
        retry_max_seconds=_positive_int(env, "RETRY_MAX_SECONDS", default=21600),
        stuck_after_seconds=_positive_int(env, "STUCK_AFTER_SECONDS", default=600),
        task_time_limit_seconds=_positive_int(env, "TASK_TIME_LIMIT_SECONDS", default=300),
        webhook_max_bytes=_positive_int(env, "WEBHOOK_MAX_BYTES", default=262144),
        jwt_leeway_seconds=_non_negative_int(env, "JWT_LEEWAY_SECONDS", default=60),
        refund_policy=_one_of(env, "REFUND_POLICY", REFUND_POLICIES, default="window"),
        meetings_deactivated_redirect_url=_optional_url(env, "MEETINGS_DEACTIVATED_REDIRECT_URL"),
        calendar_poll_seconds=_non_negative_int(env, "CALENDAR_POLL_SECONDS", default=300),
        public_base_url=_url(env, "PUBLIC_BASE_URL", default=f"http://127.0.0.1:{port}").rstrip("/"),
        port=port,
        log_format=_one_of(env, "LOG_FORMAT", LOG_FORMATS, default=_default_log_format()),
        web_workers=_positive_int(env, "WEB_WORKERS", default=default_web_workers()),
        worker_pool=(pool := _one_of(env, "WORKER_POOL", WORKER_POOLS, default="threads")),
        worker_concurrency=_positive_int(env, "WORKER_CONCURRENCY", default=default_worker_concurrency(pool)),
        retention_days=_retention_days(env, "RETENTION_DAYS", default=30),
        dead_retention_days=_retention_days(env, "DEAD_RETENTION_DAYS", default=90),
        payload_retention_days=_positive_int(env, "PAYLOAD_RETENTION_DAYS", default=14),
        purge_interval_seconds=_positive_int(env, "PURGE_INTERVAL_SECONDS", default=86400),
    )
    if settings.retry_max_seconds < settings.retry_base_seconds:
        raise ConfigError(
            "RETRY_MAX_SECONDS: must be at least RETRY_BASE_SECONDS "
            f"({settings.retry_max_seconds} < {settings.retry_base_seconds})"
        )
    if settings.stuck_after_seconds <= settings.task_time_limit_seconds:
        # The ledger's lease is STUCK_AFTER_SECONDS: a sweep that re-queued an event a live task
        # still runs would let a second worker take over its pending side effects (a double refund).
        raise ConfigError(
            "STUCK_AFTER_SECONDS: must exceed TASK_TIME_LIMIT_SECONDS, or the sweep re-runs events "
            f"a live worker still runs ({settings.stuck_after_seconds} <= {settings.task_time_limit_seconds})"
        )
    if settings.admin_token and settings.admin_token == settings.admin_viewer_token:
        raise ConfigError("ADMIN_VIEWER_TOKEN: must differ from ADMIN_TOKEN (it grants read-only access)")
    if bool(settings.wix_app_id) != bool(settings.wix_app_secret):
        missing = "WIX_APP_SECRET" if settings.wix_app_id else "WIX_APP_ID"
        raise ConfigError(f"{missing}: WIX_APP_ID and WIX_APP_SECRET go together; {missing} is unset")
    if bool(settings.wix_api_key) != bool(settings.wix_site_id):
        missing = "WIX_SITE_ID" if settings.wix_api_key else "WIX_API_KEY"
        raise ConfigError(f"{missing}: WIX_API_KEY and WIX_SITE_ID go together; {missing} is unset")
    return settings


def _retention_days(env: Mapping[str, str], name: str, *, default: int) -> int:
    """Days an event is kept; never fewer than MIN_EVENT_RETENTION_DAYS, or dedup would forget ids."""
    days = _positive_int(env, name, default=default)
    if days < MIN_EVENT_RETENTION_DAYS:
        raise ConfigError(
            f"{name}: must be at least {MIN_EVENT_RETENTION_DAYS} days, got {days} (Wix retries a webhook "
            "for about 47 hours, and an event id forgotten sooner would let a late retry run twice)"
        )
    return days


def _secret_key(env: Mapping[str, str]) -> str | None:
    value = _optional(env, "SECRET_KEY")
    if value is not None and len(value) < SECRET_KEY_MIN_LENGTH:
        raise ConfigError(
            f"SECRET_KEY: expected at least {SECRET_KEY_MIN_LENGTH} characters, got {len(value)} "
            "(make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return value


def server_secret(settings: Settings, path: Path = SECRET_KEY_FILE) -> str:
    """SECRET_KEY, else a random key made once at `var/secret-key` (mode 0600) and reused after.

    Read only by what signs something (the console's session cookie, the calendar OAuth state), so a
    worker never writes the file. Several hosts (or containers) must share one SECRET_KEY instead.
    Several processes starting at once agree: the first to create the file wins (a hard link is
    atomic) and the others read it.
    """
    if settings.secret_key:
        return settings.secret_key
    try:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".{path.name}.{os.getpid()}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48) + "\n")
            try:
                with contextlib.suppress(FileExistsError):  # a racing process won: read its key
                    os.link(draft, path)  # atomic
            finally:
                draft.unlink()
        value = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"SECRET_KEY: not set, and {path} cannot be created: {exc.strerror}") from exc
    if len(value) < SECRET_KEY_MIN_LENGTH:
        raise ConfigError(f"SECRET_KEY: {path} holds fewer than {SECRET_KEY_MIN_LENGTH} characters")
    return value


def normalize_database_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean psycopg 3, like `postgresql+psycopg://`."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _default_log_format() -> str:
    import sys

    return "console" if sys.stderr.isatty() else "json"


def _public_keys(env: Mapping[str, str], *, required: bool) -> tuple[str, ...]:
    raw = env.get("WIX_PUBLIC_KEY", "").strip()
    if not raw:
        if DEV_PUBLIC_KEY.is_file():
            raw = "@" + str(DEV_PUBLIC_KEY)
        elif not required:
            return ()
        else:
            raise ConfigError(
                "WIX_PUBLIC_KEY: not set and no dev key found at "
                f"{DEV_PUBLIC_KEY} (run `wix-meetings dev keys`, or set the app's public key)"
            )
    if raw.startswith("@"):
        path = Path(raw[1:]).expanduser()
        try:
            raw = path.read_text()
        except OSError as exc:
            raise ConfigError(f"WIX_PUBLIC_KEY: cannot read {path}: {exc.strerror}") from exc
    blocks = tuple(_PEM_BLOCK.findall(raw.replace("\\n", "\n")))
    if not blocks:
        raise ConfigError(
            "WIX_PUBLIC_KEY: expected one or more PEM blocks "
            "'-----BEGIN PUBLIC KEY----- … -----END PUBLIC KEY-----'"
        )
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    for number, block in enumerate(blocks, start=1):
        try:
            key = load_pem_public_key(block.encode())
        except ValueError as exc:
            raise ConfigError(f"WIX_PUBLIC_KEY: PEM block {number} is not a valid key") from exc
        if not isinstance(key, RSAPublicKey):
            raise ConfigError(f"WIX_PUBLIC_KEY: PEM block {number} is not an RSA key")
    return blocks


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _url(env: Mapping[str, str], name: str, *, default: str) -> str:
    value = env.get(name, "").strip() or default
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"{name}: expected an http(s):// URL, got {value!r}")
    return value


def _optional_url(env: Mapping[str, str], name: str) -> str | None:
    if not env.get(name, "").strip():
        return None
    return _url(env, name, default="")


def _smtp_url(env: Mapping[str, str]) -> str | None:
    value = _optional(env, "SMTP_URL")
    if value and not re.match(r"^smtps?://[^\s/]+", value):
        raise ConfigError("SMTP_URL: expected smtp://user:pass@host:port or smtps://…")
    return value


def _database_url(env: Mapping[str, str]) -> str:
    value = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    if not value.startswith(("sqlite:", "postgresql", "postgres:")):
        raise ConfigError(
            f"DATABASE_URL: expected sqlite:///… or postgresql://…, got scheme of {value[:20]!r}"
        )
    return normalize_database_url(value)


def _broker_url(env: Mapping[str, str]) -> str:
    value = env.get("CELERY_BROKER_URL", "").strip() or DEFAULT_BROKER_URL
    if not value.startswith(("redis://", "rediss://", "sqla+", "amqp://", "memory://")):
        raise ConfigError(
            "CELERY_BROKER_URL: expected redis://… or sqla+sqlite:///…, "
            f"got scheme of {value.split(':', 1)[0]!r}"
        )
    return value


def _positive_int(env: Mapping[str, str], name: str, *, default: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigError(f"{name}: expected a positive integer, got {raw!r}")
    return int(raw)


def _non_negative_int(env: Mapping[str, str], name: str, *, default: int) -> int:
    raw = env.get(name, "").strip() or str(default)
    if not raw.isdigit():
        raise ConfigError(f"{name}: expected a whole number (0 or more), got {raw!r}")
    return int(raw)


def _one_of(env: Mapping[str, str], name: str, choices: tuple[str, ...], *, default: str) -> str:
    raw = env.get(name, "").strip() or default
    if raw not in choices:
        raise ConfigError(f"{name}: expected one of {', '.join(choices)}, got {raw!r}")
    return raw
