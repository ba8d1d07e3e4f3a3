"""What an ops action can refuse besides Wix itself: unknown names and ids, actions that do not apply."""

from __future__ import annotations


class AdminError(Exception):
    """An ops action stopped before (or instead of) changing anything."""


class NotFoundError(AdminError):
    """The id, email or name given names nothing on this site (bad usage)."""


class NotAllowedError(AdminError):
    """The site's state refuses the action (booking not reschedulable, slot taken, …)."""
