"""SMTP: where to connect (SMTP_URL), one reusable connection, and SMTP failures as typed errors."""

from __future__ import annotations

import contextlib
import smtplib
from dataclasses import dataclass
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from processor.tls import client_tls_context, idle_socket_still_open

SMTP_TIMEOUT_SECONDS = 10.0


class NotifyError(Exception):
    """A notification could not be sent; messages carry codes, never addresses."""


class NotifyUnavailableError(NotifyError):
    """SMTP unreachable, timed out, 4xx or our credentials refused: retry with backoff."""


class NotifyRejectedError(NotifyError):
    """5xx for this message (recipient, sender or content refused), or a message that cannot be built:
    sending it again as it is will not help."""


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to connect, parsed from SMTP_URL."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        """Parse `smtp://user:pass@host:port` or `smtps://…` (user and pass percent-encoded)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL: expected smtp://user:pass@host:port or smtps://…")
        implicit_tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit_tls else 25),
            implicit_tls=implicit_tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class SmtpConnection:
    """One SMTP connection, opened on the first message and reused for the next ones.

    After any failure it is closed, so the next message starts on a fresh connection: a refused
    recipient or a dropped line costs that message only.
    """

    def __init__(self, target: SmtpTarget, *, sender: str, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self.target = target
        self.sender = sender
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self.opened = 0  # connections made so far (one per batch when all goes well)
        self.unreachable = False  # the last attempt to connect (or log in) failed

    def send(self, message: bytes, to: str) -> None:
        """Hand one message (its wire form) to the server for one recipient, or raise a NotifyError.

        A non-ASCII address (RFC 6531) goes only to a server that offers SMTPUTF8; for any other
        server it is this message's NotifyRejectedError: sending it again will not help."""
        try:
            smtp = self._open()
            options: tuple[str, ...] = ()
            if needs_smtputf8(self.sender, to):
                smtp.ehlo_or_helo_if_needed()
                options = ("SMTPUTF8", "BODY=8BITMIME")
            if options and not smtp.has_extn("smtputf8"):
                raise NotifyRejectedError(
                    "a non-ASCII address needs SMTPUTF8, which the server does not offer"
                )
            smtp.sendmail(self.sender, [to], message, mail_options=options)
        except NotifyError:
            raise
        except BaseException as exc:
            self.close()
            if isinstance(exc, smtplib.SMTPException | OSError):
                raise _as_notify_error(exc) from None
            raise

    @property
    def is_open(self) -> bool:
        """A connection is up (it may still have been dropped by the server since)."""
        return self._smtp is not None

    def still_open(self) -> bool:
        """True when the open connection may carry the next message: nothing is readable on it (a
        server that dropped it, on restart or idle timeout, has sent EOF or a 421 by then). Costs no
        round trip, unlike a NOOP (which cost a refund flow's emails one more each time a kept
        connection was taken). A connection found closed is closed here too."""
        if idle_socket_still_open(self._smtp.sock if self._smtp is not None else None):
            return True
        self.close()
        return False

    def close(self) -> None:
        """Say goodbye if the server still listens; never raises."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            with contextlib.suppress(OSError):
                smtp.close()

    def _open(self) -> smtplib.SMTP:
        if self._smtp is None:
            self.unreachable = True
            smtp = _connect(self.target, self.timeout)
            try:
                if self.target.username:
                    smtp.login(self.target.username, self.target.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
            self.opened += 1
            self.unreachable = False
        return self._smtp


def needs_smtputf8(*addresses: str) -> bool:
    """An address that is not ASCII travels only over SMTPUTF8 (RFC 6531); an ASCII string is not
    parsed (a non-ASCII display name around an ASCII address still needs no SMTPUTF8)."""
    return not all(a.isascii() or parseaddr(a)[1].isascii() for a in addresses)


def _connect(target: SmtpTarget, timeout: float) -> smtplib.SMTP:
    if target.implicit_tls:
        return smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=client_tls_context())
    smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
    try:
        smtp.ehlo()
        # Never send a password in the clear when the server offers to protect it.
        if target.username and smtp.has_extn("starttls"):
            smtp.starttls(context=client_tls_context())
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _as_notify_error(exc: BaseException) -> NotifyError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # The exception text holds the addresses; keep only the codes.
        codes = sorted({code for code, _ in exc.recipients.values()})
        return _by_code(codes[-1] if codes else 550, "recipient refused")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return NotifyUnavailableError(f"SMTP login refused ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        # A refused greeting is about the server, not this message: try again later.
        return NotifyUnavailableError(f"SMTP greeting refused ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return _by_code(exc.smtp_code, "sender refused")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, "SMTP error")
    # Connection refused, DNS, TLS, timeout, disconnect, AUTH not offered.
    return NotifyUnavailableError(f"SMTP unavailable ({type(exc).__name__})")


def _by_code(code: int, what: str) -> NotifyError:
    if 400 <= code < 500:
        return NotifyUnavailableError(f"{what} ({code}, temporary)")
    if code >= 500:
        return NotifyRejectedError(f"{what} ({code})")
    return NotifyUnavailableError(f"{what} ({code}, unexpected)")
