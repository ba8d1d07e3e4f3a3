"""Query Site Contributors: the site's collaborators, from whom hosts are picked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from processor.wix.transport import WixTransport
from processor.wix.wire import JsonDict, dig

CONTRIBUTORS_PATH = "/roles-management/v2/contributors/query"


@dataclass(frozen=True)
class Contributor:
    """A site collaborator; every field but `raw` may be missing (Wix API assumption #14)."""

    id: str | None
    email: str | None
    name: str | None
    account_owner_id: str | None
    role_ids: tuple[str, ...]
    raw: JsonDict = field(compare=False, repr=False)

    @classmethod
    def from_wire(cls, raw: JsonDict) -> Contributor:
        return cls(
            id=_first_text(raw.get("id"), raw.get("userId"), dig(raw, "user", "id")),
            email=_first_text(
                raw.get("email"),
                raw.get("invitedEmail"),
                dig(raw, "metaData", "email"),
                dig(raw, "user", "email"),
            ),
            name=_first_text(raw.get("name"), dig(raw, "metaData", "name"), dig(raw, "user", "name")),
            account_owner_id=_first_text(raw.get("accountOwnerId")),
            role_ids=_role_ids(raw),
            raw=raw,
        )


class ContributorsApi:
    """The Roles Management contributors call."""

    def __init__(self, transport: WixTransport) -> None:
        self._transport = transport

    def query(self, policy_ids: list[str] | None = None) -> list[Contributor]:
        """Contributors, optionally only those holding one of the role (policy) ids."""
        params = [("policyIds", p) for p in policy_ids or ()]
        body = self._transport.call("GET", CONTRIBUTORS_PATH, params=params or None)
        items = body.get("contributors")
        if not isinstance(items, list):  # tolerate another list key
            items = next((v for v in body.values() if isinstance(v, list)), [])
        return [Contributor.from_wire(c) for c in items if isinstance(c, dict)]


def _first_text(*values: Any) -> str | None:
    return next((v for v in values if isinstance(v, str) and v), None)


def _role_ids(raw: JsonDict) -> tuple[str, ...]:
    found: list[str] = [p for p in raw.get("policyIds") or () if isinstance(p, str)]
    for role in raw.get("roles") or raw.get("assignments") or ():
        if isinstance(role, dict):
            role_id = _first_text(role.get("policyId"), role.get("roleId"), role.get("id"))
            if role_id:
                found.append(role_id)
    return tuple(found)
