"""Errors the services raise for the Telegram layer to explain, in the person's language.

Each carries a `code` (a stable string the views map to a translated text) and the values the
text needs; none carries a Telegram type.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    code = "error"

    def __init__(self, **details: Any) -> None:
        super().__init__(self.code, details)
        self.details = details


class NotEnrolled(ServiceError):
    code = "not_enrolled"


class PermissionDenied(ServiceError):
    code = "permission_denied"


class NoOpenCycle(ServiceError):
    code = "no_open_cycle"


class CycleClosed(ServiceError):
    code = "cycle_closed"


class UnknownCountry(ServiceError):
    code = "unknown_country"


class UnknownItem(ServiceError):
    code = "unknown_item"


class UnknownCycle(ServiceError):
    """No reporting cycle with this number (`cycle` in the details)."""

    code = "unknown_cycle"


class InviteInvalid(ServiceError):
    """An invite code that is unknown, used, expired or cancelled (`reason` says which)."""

    code = "invite_invalid"


class StaleAction(ServiceError):
    """A button from an older message, or a second tap on one already acted upon."""

    code = "stale"


class TooLong(ServiceError):
    code = "too_long"


class InvalidInput(ServiceError):
    code = "invalid_input"


class UnknownPerson(ServiceError):
    """No active person with this number (see /people)."""

    code = "unknown_person"


class OldReminder(ServiceError):
    """A reminder's button from an earlier reporting cycle (or someone else's reminder)."""

    code = "old_reminder"


class NotErasable(ServiceError):
    """A person who cannot be erased (`reason`): "active" (revoke them first) or "erased"."""

    code = "not_erasable"
