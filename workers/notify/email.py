"""Email over SMTP: a message spec becomes a MIME message and is sent, or a typed error."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import formatdate, make_msgid
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import structlog

from processor.config import Settings

log = structlog.get_logger(__name__)

SMTP_TIMEOUT_SECONDS = 10.0


class NotifyError(Exception):
    """A notification could not be sent; messages carry codes, never addresses."""


class NotifyUnavailableError(NotifyError):
    """SMTP unreachable, timed out, 4xx or our credentials refused: retry with backoff."""


class NotifyRejectedError(NotifyError):
    """5xx for this message (recipient, sender or content refused): retrying will not help."""


class Attachment(NamedTuple):
    """One attachment: (filename, content type with parameters, bytes)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class EmailMessageSpec:
    """What to send. `kind` and `booking_id` are the only things ever logged about it."""

    to: str | None
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()
    kind: str = "notification"
    booking_id: str | None = None
    # Host notices may go to NOTIFY_FALLBACK_TO when the host's address is unknown;
    # a customer's notice must never land in someone else's inbox.
    use_fallback: bool = True


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

    def build(self, spec: EmailMessageSpec) -> EmailMessage:
        """multipart/alternative text + HTML, wrapped in multipart/mixed when attachments exist."""
        message = EmailMessage()
        message["From"] = self.sender
        to = self.recipient(spec)
        if to:
            message["To"] = to
        message["Subject"] = spec.subject
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=_domain_of(self.sender))
        message.set_content(spec.text)
        message.add_alternative(spec.html, subtype="html")
        for attachment in spec.attachments:
            maintype, subtype, params = _split_content_type(attachment.content_type)
            message.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename,
                params=params,
            )
        return message

    def send(self, spec: EmailMessageSpec) -> bool:
        """Send `spec`; False when email is off or nobody can receive it, True once accepted."""
        fields = {"kind": spec.kind, "booking_id": spec.booking_id}
        if self.target is None:
            log.info("email.disabled", **fields)
            return False
        to = self.recipient(spec)
        if not to:
            log.warning("email.no_recipient", **fields)
            return False
        try:
            self._deliver(self.target, self.build(spec), to)
        except NotifyError as exc:
            log.warning("email.failed", error=type(exc).__name__, reason=str(exc), **fields)
            raise
        log.info("email.sent", **fields)
        return True

    def _deliver(self, target: SmtpTarget, message: EmailMessage, to: str) -> None:
        try:
            with _connect(target, self.timeout) as smtp:
                if target.username:
                    smtp.login(target.username, target.password or "")
                smtp.send_message(message, from_addr=self.sender, to_addrs=[to])
        except smtplib.SMTPRecipientsRefused as exc:
            # The exception text holds the addresses; keep only the codes.
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise _by_code(codes[-1] if codes else 550, "recipient refused") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise NotifyUnavailableError(f"SMTP login refused ({exc.smtp_code})") from None
        except (smtplib.SMTPConnectError, smtplib.SMTPHeloError) as exc:
            # A refused greeting is about the server, not this message: try again later.
            raise NotifyUnavailableError(f"SMTP greeting refused ({exc.smtp_code})") from None
        except smtplib.SMTPSenderRefused as exc:
            raise _by_code(exc.smtp_code, "sender refused") from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, "SMTP error") from None
        except (smtplib.SMTPException, OSError) as exc:
            # Connection refused, DNS, TLS, timeout, disconnect, AUTH not offered.
            raise NotifyUnavailableError(f"SMTP unavailable ({type(exc).__name__})") from None


def _connect(target: SmtpTarget, timeout: float) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if target.implicit_tls:
        return smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
    smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
    try:
        smtp.ehlo()
        # Never send a password in the clear when the server offers to protect it.
        if target.username and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
    except BaseException:
        smtp.close()
        raise
    return smtp


def _by_code(code: int, what: str) -> NotifyError:
    if 400 <= code < 500:
        return NotifyUnavailableError(f"{what} ({code}, temporary)")
    if code >= 500:
        return NotifyRejectedError(f"{what} ({code})")
    return NotifyUnavailableError(f"{what} ({code}, unexpected)")


def _split_content_type(content_type: str) -> tuple[str, str, dict[str, str]]:
    header = Message()
    header["Content-Type"] = content_type
    params = {
        key: value
        for key, value in header.get_params(failobj=[], header="content-type")[1:]
        if isinstance(value, str)
    }
    return header.get_content_maintype(), header.get_content_subtype(), params


def _domain_of(address: str) -> str:
    domain = address.rpartition("@")[2].strip(" >")
    return domain or "localhost"
