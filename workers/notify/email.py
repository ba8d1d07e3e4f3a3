"""Email: a message spec becomes MIME bytes (workers/notify/mime.py), sent over SMTP or a typed error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from processor.config import Settings
from workers.notify import mime
from workers.notify.smtp import (
    SMTP_TIMEOUT_SECONDS,
    NotifyError,
    NotifyRejectedError,
    NotifyUnavailableError,
    SmtpConnection,
    SmtpTarget,
)
from workers.notify.spec import Attachment, EmailMessageSpec, one_line

__all__ = [
    "Attachment",
    "EmailMessageSpec",
    "MailSession",
    "Mailer",
    "NotifyError",
    "NotifyRejectedError",
    "NotifyUnavailableError",
    "SmtpTarget",
]

log = structlog.get_logger(__name__)

# SMTP connections a mailer keeps open between sessions: one per thread delivering at a time (the
# courier's 4, the attempts' own when the courier says no, the retry tasks; up to 32 threads), so a
# busy worker seldom connects and greets.
IDLE_CONNECTIONS = 24
IDLE_SECONDS = 30.0  # a kept connection unused for longer is closed, not checked


class Mailer:
    """Sends EmailMessageSpecs through one SMTP server; disabled when SMTP_URL is unset."""

    def __init__(
        self,
        target: SmtpTarget | None,
        *,
        sender: str,
        fallback_to: str | None = None,
        timeout: float = SMTP_TIMEOUT_SECONDS,
    ) -> None:
        self.target = target
        self.sender = sender
        self.fallback_to = fallback_to
        self.timeout = timeout
        self._idle: list[tuple[SmtpConnection, float]] = []  # kept open between sessions
        self._idle_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        """The mailer the settings describe (disabled without SMTP_URL)."""
        target = SmtpTarget.from_url(settings.smtp_url) if settings.smtp_url else None
        return cls(target, sender=settings.notify_from, fallback_to=settings.notify_fallback_to)

    @property
    def enabled(self) -> bool:
        """True when an SMTP server is configured."""
        return self.target is not None

    def recipient(self, spec: EmailMessageSpec) -> str | None:
        """The address `spec` goes to: its own, else the fallback when it may use one."""
        return spec.to or (self.fallback_to if spec.use_fallback else None)

    def build(self, spec: EmailMessageSpec) -> bytes:
        """The message as SMTP carries it (workers/notify/mime.py): multipart/alternative text +
        HTML, wrapped in multipart/mixed when attachments exist.

        Every header value passes through `one_line`, whatever the builder did; a recipient that
        would need cleaning, or anything else that cannot be encoded, is this message's
        NotifyRejectedError, never a crash of the caller.
        """
        to = self.recipient(spec)
        address = _address(to) if to else None
        try:
            return mime.render(spec, sender=self.sender, to=address)
        except (ValueError, TypeError, LookupError) as exc:
            raise NotifyRejectedError(f"message cannot be built ({type(exc).__name__})") from None

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        """Send several messages over one SMTP connection (opened on the first message).

        A connection that ends the session healthy is kept for the next session (at most
        IDLE_CONNECTIONS of them, each for at most IDLE_SECONDS), so a worker delivering one batch
        per refund does not connect, greet and quit for every batch; a kept one is checked before it
        carries a message (SmtpConnection.still_open), so a connection the server dropped costs a
        reconnect, never a failed delivery."""
        connection = self._borrow() if self.target else None
        healthy = False
        try:
            yield MailSession(self, connection)
            healthy = True
        finally:
            if connection is not None:
                self._give_back(connection, healthy)

    def _borrow(self) -> SmtpConnection:
        assert self.target is not None
        while True:
            with self._idle_lock:
                if not self._idle:
                    break
                connection, since = self._idle.pop()
            if time.monotonic() - since <= IDLE_SECONDS and connection.still_open():
                return connection
            connection.close()
        return SmtpConnection(self.target, sender=self.sender, timeout=self.timeout)

    def _give_back(self, connection: SmtpConnection, healthy: bool) -> None:
        if healthy and connection.is_open:
            with self._idle_lock:
                if len(self._idle) < IDLE_CONNECTIONS:
                    self._idle.append((connection, time.monotonic()))
                    return
        connection.close()

    def close(self) -> None:
        """Close the connections kept for later sessions."""
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for connection, _ in idle:
            connection.close()

    def send(self, spec: EmailMessageSpec) -> bool:
        """Send `spec` on a connection of its own; False when email is off or nobody can receive it."""
        with self.session() as mail:
            return mail.send(spec)


class MailSession:
    """Messages sent through one connection; see Mailer.session."""

    def __init__(self, mailer: Mailer, connection: SmtpConnection | None) -> None:
        self.mailer = mailer
        self.connection = connection

    def send(self, spec: EmailMessageSpec, *, log_sent: bool = True) -> bool:
        """Send `spec`; False when email is off or nobody can receive it, True once accepted.
        `log_sent=False`: the caller logs the success itself (the outbox's `notification.sent`)."""
        fields = {"kind": spec.kind, "booking_id": spec.booking_id}
        if self.connection is None:
            log.info("email.disabled", **fields)
            return False
        to = self.mailer.recipient(spec)
        if not to:
            log.warning("email.no_recipient", **fields)
            return False
        try:
            self.connection.send(self.mailer.build(spec), _address(to))
        except NotifyError as exc:
            log.warning("email.failed", error=type(exc).__name__, reason=str(exc), **fields)
            raise
        if log_sent:
            log.info("email.sent", **fields)
        return True


def _address(address: str) -> str:
    """An address from payload data: one that would need cleaning is refused, never rewritten."""
    if one_line(address) != address.strip():
        raise NotifyRejectedError("recipient address holds line breaks or control characters")
    return address.strip()
