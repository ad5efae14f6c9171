"""Errors the services raise for the Telegram layer to explain, in the person's language.

Each kind of refusal is its own class, with the values its text needs as typed fields
(`NotYourCountry(country="TH")`): callers catch them by type, and `bot/views/errors.py`
finds the text for each by type too. None carries a Telegram type or a text.

They are dataclasses with `eq=False`, so they stay hashable and compared by identity, as
exceptions are everywhere else; `args` holds the field values, so they print and pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ServiceError(Exception):
    """Something the person asked for that the bot refuses; nothing was changed."""

    def __post_init__(self) -> None:
        # Called by the dataclass __init__ of the subclasses that have fields: just set, in
        # order, they are all the instance holds yet.
        super().__init__(*vars(self).values())

    def __str__(self) -> str:
        return repr(self)


# --- who may do what --------------------------------------------------------------------------


class NotEnrolled(ServiceError):
    """Someone without access (never invited, or revoked)."""


class PermissionDenied(ServiceError):
    """An enrolled person asked for something their role does not allow.

    The subclasses say which rule refused them; raised as itself it means coordinators only.
    """


class CoordinatorsOnly(PermissionDenied):
    pass


class NoRoleInInstrument(PermissionDenied):
    """The person holds no role in the instrument they asked about (`Membership`)."""


class AdminsOnly(PermissionDenied):
    pass


class FocalPointsOnly(PermissionDenied):
    """Only focal points answer the checklist (a coordinator pressed an answering button)."""


class NationalLeadOnly(PermissionDenied):
    """Only the country's national lead signs off its report."""


@dataclass(eq=False)
class NotYourCountry(PermissionDenied):
    """A focal point asked about another country than their own."""

    country: str


class CannotRevokeSelf(PermissionDenied):
    pass


class ConfiguredAdmin(PermissionDenied):
    """An administrator named in NORMSBOT_ADMINS: their next /start would restore them."""


# --- what the request named -------------------------------------------------------------------


@dataclass(eq=False)
class UnknownCountry(ServiceError):
    country: str  # as typed; "" when a country was needed and none was given


@dataclass(eq=False)
class UnknownItem(ServiceError):
    item: str


@dataclass(eq=False)
class UnknownNeedsWord(ServiceError):
    """A word in /needs that is no instrument, no theme of it and no country."""

    value: str
    instruments: tuple[str, ...]  # the short names one may type


@dataclass(eq=False)
class UnknownCycle(ServiceError):
    """No reporting cycle with this number."""

    cycle: int


@dataclass(eq=False)
class UnknownPerson(ServiceError):
    """No active person with this number (see /people)."""

    person: int


class InviteProblem(StrEnum):
    """Why an invite code does not enrol its sender."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REVOKED = "revoked"  # the code is fine, the sender's access was removed: only /readmit


@dataclass(eq=False)
class InviteInvalid(ServiceError):
    """An invite code that is unknown, used, expired or cancelled, or a revoked sender."""

    reason: InviteProblem


@dataclass(eq=False)
class InviteForAnotherCountry(ServiceError):
    """An invite of one instrument for a country other than the one the sender represents in
    another: one person represents one country, and a coordinator of one instrument must not
    move who answers for a country in another."""

    current: str
    invited: str


# --- the state of the cycle -------------------------------------------------------------------


@dataclass(eq=False)
class NoOpenCycle(ServiceError):
    """No cycle is open; `closed_title` is the last one's title when there was one.

    ("" is the bot's default title, so only None means there was no cycle.)
    """

    closed_title: str | None = None


class CycleClosed(ServiceError):
    """The cycle an answer belongs to was closed meanwhile."""


# --- buttons pressed late or twice ------------------------------------------------------------


class StaleAction(ServiceError):
    """A button from an older message, or a second tap on one already acted upon."""


@dataclass(eq=False)
class CursorMoved(StaleAction):
    """An answering button whose place in the checklist moved on.

    `prompt_message_id` is the message that shows the person's place now: when the tap came
    from that same message, it was a double tap.
    """

    prompt_message_id: int | None


@dataclass(eq=False)
class ReminderUnchanged(StaleAction):
    """A reminder's snooze or mute pressed again: the state it asked for already holds."""

    cycle_id: int
    muted: bool


class OldReminder(ServiceError):
    """A reminder's button from an earlier reporting cycle (or someone else's reminder)."""


# --- what the person typed --------------------------------------------------------------------


@dataclass(eq=False)
class TooLong(ServiceError):
    length: int
    limit: int


class InvalidInput(ServiceError):
    """Input the bot cannot use; the subclasses name what was wrong with it."""


@dataclass(eq=False)
class UnknownRole(InvalidInput):
    """A word in /invite that is neither a country code, a role nor an instrument."""

    value: str
    instruments: tuple[str, ...] = ()  # the short names of the instruments loaded


class TitleMissing(InvalidInput):
    pass


@dataclass(eq=False)
class TitleTooLong(InvalidInput):
    limit: int


class DeadlinePast(InvalidInput):
    pass


@dataclass(eq=False)
class NoSuchDay(InvalidInput):
    """A date in the right shape that the calendar does not have (31 April)."""

    value: str


@dataclass(eq=False)
class UnknownChecklistVersion(InvalidInput):
    value: str
    known: tuple[str, ...]


class BadEvidenceLink(InvalidInput):
    """An evidence deep link that names no file, or one removed from its answer."""


# --- erasure ----------------------------------------------------------------------------------


@dataclass(eq=False)
class StillHasAccess(ServiceError):
    """Only a revoked person can be erased."""

    person: int


@dataclass(eq=False)
class AlreadyErased(ServiceError):
    person: int
