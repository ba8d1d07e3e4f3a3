"""The events list's filter, read from the query string, and the links that change one part of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from processor import event_filters
from processor.store.event_queries import EventFilter

FIELDS = ("type", "site", "source", "since", "until", "q")


@dataclass(frozen=True)
class ListFilter:
    """What the person asked for (the words, to show them back) and the EventFilter it means."""

    words: dict[str, Any]
    where: EventFilter
    error: str | None = None

    @property
    def is_empty(self) -> bool:
        return not any(self.words.get(name) for name in ("status", *FIELDS))

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query arguments for a link: these words with `changes` (None drops one)."""
        merged = {k: v for k, v in {**self.words, **changes}.items() if v not in (None, "", [])}
        return merged

    def toggled(self, status: str) -> dict[str, Any]:
        """The arguments with `status` added to, or removed from, the selected statuses."""
        chosen = list(self.words["status"])
        chosen = [s for s in chosen if s != status] if status in chosen else [*chosen, status]
        return self.args(status=chosen, cursor=None)


def read_filter(args: MultiDict[str, str]) -> ListFilter:
    """Filter words from the query string; a bad one gives an empty filter and the reason."""
    words: dict[str, Any] = {name: (args.get(name) or "").strip() for name in FIELDS}
    words["status"] = [s for s in args.getlist("status") if s]
    try:
        where = event_filters.make_filter(
            status=None,
            statuses=words["status"],
            event_type=words["type"],
            since=words["since"],
            until=words["until"],
            instance_id=words["site"],
            source=words["source"],
            search=words["q"],
        )
    except event_filters.BadFilterError as exc:
        return ListFilter(words, EventFilter(statuses=("__none__",)), str(exc))
    return ListFilter(words, where)
