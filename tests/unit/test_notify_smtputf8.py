"""Which addresses need SMTPUTF8 (RFC 6531): only those whose address itself is not ASCII."""

from __future__ import annotations

from workers.notify.smtp import needs_smtputf8


def test_ascii_addresses_need_no_smtputf8() -> None:
    assert needs_smtputf8("meetings@example.com", "Dana <dana@example.com>") is False


def test_a_non_ascii_address_needs_smtputf8() -> None:
    assert needs_smtputf8("meetings@example.com", "zoë@example.com") is True
    assert needs_smtputf8("Zoë <zoë@exämple.com>") is True


def test_a_non_ascii_display_name_around_an_ascii_address_needs_none() -> None:
    assert needs_smtputf8("Zoë Ångström <zoe@example.com>") is False
