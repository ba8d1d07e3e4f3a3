"""What an event did, in words: ledger entries (refunds, link changes) and notifications (emails, alerts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from processor.store.models import LedgerEntry


@dataclass(frozen=True)
class Effect:
    """One side effect this event took under a ledger key."""

    kind: str  # refund | email | link | ops | other
    title: str
    details: list[tuple[str, str]] = field(default_factory=list)
    key: str = ""
    state: str = "done"
    at: datetime | None = None


def describe(entry: LedgerEntry) -> Effect:
    """A ledger entry as a person reads it; unknown keys are shown as they are."""
    parts = entry.key.split(":")
    result: dict[str, Any] = entry.result or {}

    def effect(kind: str, title: str, details: list[tuple[str, str]]) -> Effect:
        return Effect(kind, title, details, entry.key, entry.state, entry.finished_at or entry.created_at)

    if parts[0] == "refund" and len(parts) >= 2:
        amount = " ".join(str(result[k]) for k in ("amount", "currency") if result.get(k))
        details = [("booking", parts[1])]
        details += [(label, str(result[name])) for name, label in _REFUND_FIELDS if result.get(name)]
        return effect("refund", f"Refund {amount}" if amount else "Refund", details)
    if parts[0] == "email" and len(parts) >= 4:
        subject, kind, last = parts[1], parts[2], parts[3]
        about, of = ("service", "event") if kind.startswith("link_") else ("booking", "revision")
        title = f"Email: {kind.replace('_', ' ')}"
        return effect("email", title, [(about, subject), ("kind", kind), (of, last)])
    if parts[0] == "link" and len(parts) >= 3:
        turned = {"deactivate": "off", "activate": "on"}.get(parts[2], parts[2])
        name = result.get("service_name") or parts[1]
        details = [("service", parts[1])]
        if result.get("revision") is not None:
            details.append(("revision", str(result["revision"])))
        if result.get("changed") is False:
            details.append(("change", "already " + turned))
        return effect("link", f"Link turned {turned}: {name}", details)
    if parts[0] == "ops" and len(parts) >= 2:
        return effect("ops", f"Ops alert: {parts[1].replace('_', '.', 1)}", [])
    details = [(str(k), str(v)) for k, v in result.items()]
    return effect("other", entry.key, details)


_REFUND_FIELDS = (("refund_id", "Wix refund id"), ("order_id", "order"))


def describe_notification(notification: dict[str, Any]) -> Effect:
    """An event object notification (the outbox): an email to a role or an ops alert, with its status."""
    kind, status = str(notification.get("kind") or ""), str(notification.get("status") or "")
    at = notification.get("sent_at") or notification.get("created_at")
    when = datetime.fromisoformat(at.replace("Z", "+00:00")) if isinstance(at, str) else None
    details = [("status", status), ("attempts", str(notification.get("attempts", 0)))]
    if notification.get("last_error"):
        details.append(("last error", str(notification["last_error"])))
    if notification.get("channel") == "ops":
        title = f"Ops alert: {kind}"
    else:
        role = str(notification.get("recipient_role") or "recipient")
        what = kind.removesuffix(f"_{role}").replace("_", " ")  # refund_issued_host → refund issued
        title = f"Email: {what} to the {role}"
    state = "done" if status in ("sent", "skipped") else status
    return Effect(
        "ops" if notification.get("channel") == "ops" else "email", title, details, title, state, when
    )
