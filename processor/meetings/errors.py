"""What an action on a site can refuse besides Wix: unknown ids and names, actions that do not apply."""

from __future__ import annotations


class MeetingsError(Exception):
    """An action on a site stopped before (or instead of) changing anything."""


class NotFoundError(MeetingsError):
    """The id, email or name given names nothing on this site (bad usage)."""


class NotAllowedError(MeetingsError):
    """The site's state refuses the action (booking not reschedulable, slot taken, …)."""


class InvalidInputError(MeetingsError):
    """Values given that can't work (a malformed `--set`, an unknown zone, days ending before they start).

    Raised before any Wix write; the CLI reports it as bad usage (exit 2).
    """
