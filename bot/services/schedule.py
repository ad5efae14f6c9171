"""Local time for the bot's own messages: working hours, time zones, and the digest's slots.

Everything here is pure arithmetic on aware datetimes (no database, no clock): the planners and
the send-time checks ask `WorkingHours.next_opening` where a reminder may go, and
`digest_slot` which digest slot is the latest one due. Results are always in UTC.

Time zones come from IANA names (`Asia/Yangon` is UTC+06:30, `Asia/Dili` UTC+09:00); a name the
system does not know falls back to the given default rather than failing a whole sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIDNIGHT = time(0, 0)


def zone(name: str | None, default: str = "UTC") -> tzinfo:
    """The time zone of an IANA name; the default zone when the name is empty or unknown."""
    for candidate in (name, default):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return UTC


def zone_name(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


def at_local(day: date, moment: time, tz: tzinfo) -> datetime:
    """`day` at the local wall-clock time `moment` in `tz`, as an aware UTC datetime."""
    return datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class WorkingHours:
    """When a person may be disturbed: working days (0 = Monday) from `start` to `end`.

    `end` is exclusive: with the default 09:00-17:00 a reminder due at 17:00 waits for 09:00 on
    the next working day. An `end` of 00:00 means midnight at the end of the day.
    """

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("working days must be a non-empty subset of 0 (Monday) .. 6")
        if self.end != MIDNIGHT and self.end <= self.start:
            raise ValueError("working hours must end after they start")

    def _window(self, day: date, tz: tzinfo) -> tuple[datetime, datetime]:
        opens = at_local(day, self.start, tz)
        if self.end == MIDNIGHT:
            closes = at_local(day + timedelta(days=1), MIDNIGHT, tz)
        else:
            closes = at_local(day, self.end, tz)
        return opens, closes

    def is_open(self, moment: datetime, tz: tzinfo) -> bool:
        local = moment.astimezone(tz)
        if local.weekday() not in self.days:
            return False
        opens, closes = self._window(local.date(), tz)
        return opens <= moment < closes

    def next_opening(self, moment: datetime, tz: tzinfo) -> datetime:
        """`moment` itself when within working hours, else the start of the next window."""
        local_day = moment.astimezone(tz).date()
        for offset in range(8):  # at most a week ahead: some weekday is a working day
            day = local_day + timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            opens, closes = self._window(day, tz)
            if moment < opens:
                return opens
            if moment < closes:
                return moment.astimezone(UTC)
        raise AssertionError("no working day within a week")  # prevented by __post_init__


OFFICE_HOURS = WorkingHours(frozenset(range(5)), time(9, 0), time(17, 0))  # Mon-Fri 09-17


class DigestFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


@dataclass(frozen=True)
class DigestSlot:
    key: str  # e.g. "digest:2026-W10" or "digest:2026-03-02"
    due: datetime  # UTC
    period: timedelta


def digest_slot(
    now: datetime, tz: tzinfo, *, frequency: DigestFrequency, weekday: int, at: time
) -> DigestSlot:
    """The latest digest slot that has begun at `now` in the coordinator's zone.

    Only the latest one: a coordinator whose digests were missed while the bot was down gets
    one digest when it is back, never one per missed slot.
    """
    local = now.astimezone(tz)
    day = local.date()
    if frequency is DigestFrequency.DAILY:
        if at_local(day, at, tz) > now:
            day -= timedelta(days=1)
        return DigestSlot(f"digest:{day.isoformat()}", at_local(day, at, tz), timedelta(days=1))
    day -= timedelta(days=(day.weekday() - weekday) % 7)
    if at_local(day, at, tz) > now:
        day -= timedelta(days=7)
    year, week, _ = day.isocalendar()
    return DigestSlot(f"digest:{year}-W{week:02d}", at_local(day, at, tz), timedelta(days=7))
