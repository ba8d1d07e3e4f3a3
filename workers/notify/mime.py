"""A message spec as the bytes SMTP carries (RFC 5322 + MIME), written directly.

Our messages have one shape: multipart/alternative (text, HTML), inside multipart/mixed when there
are attachments. `email.message.EmailMessage` built it with the default policy, parsing every header
into an object and folding it again on the way out: ~4 ms of CPU per message, three per refund, the
largest item of a refund flow's profile (bench/README.md, "CPU per refund flow"); written here it is
~0.35 ms. What the email package did for us is done here, and tests/unit/test_notify_mime.py parses
every shape back with the email package's default policy:

* header values pass `one_line` (no line breaks, no control characters) whatever the caller did;
  non-ASCII text (a Subject, a display name) becomes RFC 2047 encoded words, an address stays as
  it is (a non-ASCII address is RFC 6532 UTF-8; smtp.py sends it only over SMTPUTF8);
  values longer than 78 characters are folded;
* text parts are UTF-8 quoted-printable with CRLF line ends (binascii's C encoder), attachments
  base64 in 76-character lines;
* boundaries are `=_` + 128 random bits: quoted-printable writes `=` only as `=XX` or a soft line
  break and base64 only as trailing padding, so no body line can ever equal a boundary;
* parameters (a content type's, the attachment's filename) are quoted, or RFC 2231-encoded when not
  ASCII.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from email.header import Header
from email.message import Message
from email.utils import encode_rfc2231, formataddr, formatdate, make_msgid, parseaddr, quote

from workers.notify.spec import Attachment, EmailMessageSpec, one_line

CRLF = b"\r\n"
MAX_LINE = 78  # RFC 5322's SHOULD for header lines; longer values are folded


Headers = list[tuple[str, str]]
Part = tuple[Headers, bytes]  # a MIME entity: its headers and its (encoded) body


def render(spec: EmailMessageSpec, *, sender: str, to: str | None) -> bytes:
    """The whole message: headers, then the alternative (in a mixed part when it has attachments)."""
    headers = [("From", _address(sender))]
    if to:
        headers.append(("To", _address(to)))
    headers += [
        ("Subject", _text(one_line(spec.subject), "Subject")),
        ("Date", formatdate(usegmt=True)),
        ("Message-ID", make_msgid(domain=domain_of(sender))),
        ("MIME-Version", "1.0"),
    ]
    body = _multipart("alternative", [_text_part(spec.text, "plain"), _text_part(spec.html, "html")])
    if spec.attachments:
        body = _multipart("mixed", [body, *map(_attachment, spec.attachments)])
    part_headers, content = body
    return _entity((headers + part_headers, content))


def domain_of(address: str) -> str:
    """The domain of an address (for Message-IDs); `localhost` when it has none."""
    domain = one_line(address).rpartition("@")[2].strip(" >")
    return domain or "localhost"


def content_type_parts(content_type: str) -> tuple[str, str, dict[str, str]]:
    """`text/calendar; method=REQUEST` → ("text", "calendar", {"method": "REQUEST"})."""
    header = Message()
    header["Content-Type"] = one_line(content_type)
    params = {
        key: value
        for key, value in header.get_params(failobj=[], header="content-type")[1:]
        if isinstance(value, str)
    }
    return header.get_content_maintype(), header.get_content_subtype(), params


# -- parts -----------------------------------------------------------------------------------------


def _entity(part: Part) -> bytes:
    headers, body = part
    return _header_lines(headers) + body


def _multipart(subtype: str, parts: list[Part]) -> Part:
    boundary = "=_" + secrets.token_hex(16)
    delimiter = b"--" + boundary.encode("ascii")
    chunks = []
    for part in parts:
        chunks += [delimiter, CRLF, _entity(part), CRLF]
    chunks += [delimiter, b"--", CRLF]
    return [("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')], b"".join(chunks)


def _text_part(text: str, subtype: str) -> Part:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    encoded = binascii.b2a_qp(lines.encode("utf-8"), quotetabs=False, istext=True, header=False)
    encoded = encoded.replace(CRLF, b"\n").replace(b"\n", CRLF)  # soft breaks of a one-line text are LF
    headers = [
        ("Content-Type", f'text/{subtype}; charset="utf-8"'),
        ("Content-Transfer-Encoding", "quoted-printable"),
    ]
    return headers, encoded + (b"" if encoded.endswith(CRLF) else CRLF)


def _attachment(attachment: Attachment) -> Part:
    maintype, subtype, params = content_type_parts(attachment.content_type)
    headers = [
        ("Content-Type", f"{maintype}/{subtype}" + "".join(_param(k, v) for k, v in params.items())),
        ("Content-Disposition", "attachment" + _param("filename", one_line(attachment.filename))),
        ("Content-Transfer-Encoding", "base64"),
    ]
    return headers, base64.encodebytes(attachment.content).replace(b"\n", CRLF)


# -- headers ---------------------------------------------------------------------------------------


def _header_lines(headers: Headers) -> bytes:
    """`Name: value` lines, then the empty line that ends a header block."""
    lines = []
    for name, value in headers:
        line = f"{name}: {value}"
        if len(line) > MAX_LINE and value.isascii() and "\r\n" not in value:  # not folded yet
            line = f"{name}: " + Header(value, "us-ascii", header_name=name).encode(linesep="\r\n")
        lines.append(line.encode("utf-8"))
    return b"\r\n".join(lines) + CRLF + CRLF


def _text(value: str, name: str) -> str:
    """Unstructured text (a Subject): as it is when ASCII and foldable at its spaces (no word longer
    than a line), else RFC 2047 encoded words, which fold anywhere."""
    if value.isascii() and all(len(word) < MAX_LINE - len(name) - 2 for word in value.split(" ")):
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


def _address(value: str) -> str:
    """`Name <a@b>`: a non-ASCII name as encoded words; the address as it is (RFC 6532 if need be)."""
    value = one_line(value)
    if value.isascii():
        return value
    name, address = parseaddr(value)
    if not address or not address.isascii():
        return value
    return formataddr((name, address), charset="utf-8")


def _param(key: str, value: str) -> str:
    if value.isascii():
        return f'; {key}="{quote(value)}"'
    return f"; {key}*={encode_rfc2231(value, 'utf-8')}"
